"""GitLab: the REST API paths the repo scanner lists projects with, and real git over HTTP.

API as documented (docs.gitlab.com/ee/api/groups.html, rest/index.html#pagination):
`GET /api/v4/groups/:id` (numeric id or URL-encoded full path) and
`GET /api/v4/groups/:id/projects?include_subgroups=&archived=&page=&per_page=`, paged with
`X-Page`, `X-Per-Page`, `X-Next-Page`, `X-Prev-Page`, `X-Total`, `X-Total-Pages` and a `Link`
header (rel next/prev/first/last); `per_page` defaults to 20, at most 100. Authentication by
`PRIVATE-TOKEN`: none or a wrong one is 401 `{"message": "401 Unauthorized"}`, a token without
`read_api` 403 `{"error": "insufficient_scope", ...}`, a group the token cannot see 404
`{"message": "404 Group Not Found"}` (GitLab hides what you may not see).

Repositories are served by the real `git http-backend` (a CGI, `GIT_PROJECT_ROOT` = the bare
repositories the fake lists) at `/<path_with_namespace>.git`, as GitLab serves them: a private
project wants basic auth whose password is a token (`oauth2:<token>`), else 401 with
`WWW-Authenticate`, as GitLab answers git.
"""

from __future__ import annotations

import base64
import itertools
import math
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlencode

from tests.fakes.base import FakeServer, Request, Response

TOKEN = "glpat-FakeToken0123456789ab"
HTTP_BACKEND = "/usr/lib/git-core/git-http-backend"
UNAUTHORIZED = Response(401, {"message": "401 Unauthorized"})


@dataclass
class Group:
    id: int
    full_path: str
    parent_id: int | None

    def representation(self, base: str) -> dict[str, Any]:
        name = self.full_path.rsplit("/", 1)[-1]
        return {
            "id": self.id,
            "name": name,
            "path": name,
            "full_path": self.full_path,
            "full_name": self.full_path.replace("/", " / "),
            "parent_id": self.parent_id,
            "visibility": "private",
            "web_url": f"{base}/groups/{self.full_path}",
        }


@dataclass
class Project:
    id: int
    group: Group
    path: str
    default_branch: str | None = "main"
    archived: bool = False
    visibility: str = "private"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def path_with_namespace(self) -> str:
        return f"{self.group.full_path}/{self.path}"

    def representation(self, base: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.path,
            "path": self.path,
            "path_with_namespace": self.path_with_namespace,
            "name_with_namespace": self.path_with_namespace.replace("/", " / "),
            "namespace": {"id": self.group.id, "full_path": self.group.full_path, "kind": "group"},
            "default_branch": self.default_branch,
            "archived": self.archived,
            "visibility": self.visibility,
            "empty_repo": self.default_branch is None,
            "http_url_to_repo": f"{base}/{self.path_with_namespace}.git",
            "ssh_url_to_repo": f"git@gitlab.fake:{self.path_with_namespace}.git",
            "web_url": f"{base}/{self.path_with_namespace}",
            **self.extra,
        }


class FakeGitLab(FakeServer):
    """Groups and projects in memory; each project a bare repository under `root`."""

    def __init__(self, root: Path) -> None:
        super().__init__()
        self.root = root
        self.groups: dict[str, Group] = {}
        self.projects: list[Project] = []
        #: token → its scopes and the top-level groups it sees ("*": all)
        self.tokens: dict[str, tuple[set[str], set[str]]] = {TOKEN: ({"read_api", "read_repository"}, {"*"})}
        self._ids = itertools.count(1)
        self.route("GET", r"/api/v4/groups/(?P<id>[^/]+)")(self._group)
        self.route("GET", r"/api/v4/groups/(?P<id>[^/]+)/projects")(self._projects)
        self.route("GET", r"/(?P<repo>.+\.git)/info/refs")(self._git)
        self.route("POST", r"/(?P<repo>.+\.git)/git-(?P<service>upload|receive)-pack")(self._git)

    # -- set-up ------------------------------------------------------------------------
    def add_group(self, full_path: str) -> Group:
        if full_path not in self.groups:
            parent = self.add_group(full_path.rsplit("/", 1)[0]).id if "/" in full_path else None
            self.groups[full_path] = Group(next(self._ids), full_path, parent)
        return self.groups[full_path]

    def add_project(self, group: str, path: str, **kwargs: Any) -> Project:
        """A project and its empty bare repository (push into `repository(project)`)."""
        project = Project(next(self._ids), self.add_group(group), path, **kwargs)
        self.projects.append(project)
        repo = self.repository(project)
        subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(repo)], check=True)
        return project

    def repository(self, project: Project) -> Path:
        return self.root / f"{project.path_with_namespace}.git"

    # -- API ---------------------------------------------------------------------------
    def _token(self, request: Request) -> tuple[set[str], set[str]] | None:
        return self.tokens.get(request.headers.get("private-token", ""))

    def _visible(self, request: Request) -> Group | Response:
        token = self._token(request)
        if token is None:
            return UNAUTHORIZED
        scopes, sees = token
        if "read_api" not in scopes and "api" not in scopes:
            return Response(
                403,
                {
                    "error": "insufficient_scope",
                    "error_description": "The request requires higher privileges than provided by the access token.",
                    "scope": "api read_api",
                },
            )
        key = unquote(request.groups["id"])
        group = next((g for g in self.groups.values() if str(g.id) == key), None) or self.groups.get(key)
        if group is None or not ("*" in sees or group.full_path.split("/")[0] in sees):
            return Response(404, {"message": "404 Group Not Found"})
        return group

    def _group(self, request: Request) -> Response:
        group = self._visible(request)
        return group if isinstance(group, Response) else Response(200, group.representation(self.url))

    def _projects(self, request: Request) -> Response:
        group = self._visible(request)
        if isinstance(group, Response):
            return group
        query = request.query
        subgroups = query.get("include_subgroups", "false").lower() == "true"
        found = [
            p
            for p in self.projects
            if p.group is group or (subgroups and p.group.full_path.startswith(group.full_path + "/"))
        ]
        if "archived" in query:
            wanted = query["archived"].lower() == "true"
            found = [p for p in found if p.archived == wanted]
        found.sort(key=lambda p: p.id, reverse=True)  # created_at desc, GitLab's default order
        per_page = min(max(int(query.get("per_page", "20")), 1), 100)
        page = max(int(query.get("page", "1")), 1)
        pages = max(math.ceil(len(found) / per_page), 1)
        items = found[(page - 1) * per_page : page * per_page]
        return Response(
            200, [p.representation(self.url) for p in items], self._paging(request, page, pages, per_page, len(found))
        )

    def _paging(self, request: Request, page: int, pages: int, per_page: int, total: int) -> dict[str, str]:
        def link(n: int) -> str:
            return f"{self.url}{request.path}?{urlencode({**request.query, 'page': n, 'per_page': per_page})}"

        links = [(page + 1, "next")] if page < pages else []
        links += [(page - 1, "prev")] if page > 1 else []
        links += [(1, "first"), (pages, "last")]
        return {
            "X-Page": str(page),
            "X-Per-Page": str(per_page),
            "X-Next-Page": str(page + 1) if page < pages else "",
            "X-Prev-Page": str(page - 1) if page > 1 else "",
            "X-Total": str(total),
            "X-Total-Pages": str(pages),
            "Link": ", ".join(f'<{link(n)}>; rel="{rel}"' for n, rel in links),
        }

    # -- git over HTTP -------------------------------------------------------------------
    def _git_user(self, request: Request) -> str | None:
        """The user a request authenticates as: basic auth whose password is a token with
        read_repository (any user name; GitLab documents `oauth2`)."""
        header = request.headers.get("authorization", "")
        if not header.startswith("Basic "):
            return None
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        token = self.tokens.get(password)
        return user if token is not None and "read_repository" in token[0] else None

    def _git(self, request: Request) -> Response:
        project = next((p for p in self.projects if f"{p.path_with_namespace}.git" == request.groups["repo"]), None)
        if project is None:
            return Response(404, b"Repository not found.", {"Content-Type": "text/plain"})
        user = self._git_user(request)
        if project.visibility != "public" and user is None:
            return Response(401, b"HTTP Basic: Access denied", {"WWW-Authenticate": 'Basic realm="GitLab"'})
        return self.http_backend(request, user)

    def http_backend(self, request: Request, user: str | None) -> Response:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "GIT_PROJECT_ROOT": str(self.root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "GIT_CONFIG_NOSYSTEM": "1",
            "HOME": str(self.root),
            "REQUEST_METHOD": request.method,
            "PATH_INFO": unquote(request.path),
            "QUERY_STRING": urlencode(request.query),
            "CONTENT_TYPE": request.headers.get("content-type", ""),
            "CONTENT_LENGTH": str(len(request.body)),
            "REMOTE_ADDR": "127.0.0.1",
            "REMOTE_USER": user or "",
            "GIT_PROTOCOL": request.headers.get("git-protocol", ""),
            "HTTP_GIT_PROTOCOL": request.headers.get("git-protocol", ""),
            "HTTP_CONTENT_ENCODING": request.headers.get("content-encoding", ""),
        }
        done = subprocess.run([HTTP_BACKEND], input=request.body, env=env, capture_output=True, timeout=60)
        head, _, body = done.stdout.partition(b"\r\n\r\n")
        headers: dict[str, str] = {}
        status = 200
        for line in head.decode("latin-1").split("\r\n"):
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = int(value.split()[0])
            elif name and name.lower() != "content-length":  # the fake server counts the body itself
                headers[name.strip()] = value.strip()
        return Response(status, body, headers)
