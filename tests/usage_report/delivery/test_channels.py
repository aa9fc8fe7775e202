"""Which channels a report is due on (pure), what makes one unusable, and the deliverer's table."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobs.core.errors import PermanentError
from jobs.usage_report.delivery import CHANNELS, Deliverer, channels_for, problems
from tests.usage_report.delivery.samples import bundle, tenant
from tests.usage_report.delivery.settings import run_settings, usage


@pytest.mark.parametrize(
    ("delivery", "contacts", "expected"),
    [
        ({"email": True}, ("ops@acme.test",), ("email",)),
        ({"email": True}, (), ()),  # no contact: no mail to nobody (the job's finding)
        ({"email": False}, ("ops@acme.test",), ()),
        ({"email": True, "s3_bucket": "b", "directory": "/srv/r"}, ("ops@acme.test",), ("email", "s3", "directory")),
        ({"email": True, "s3_bucket": "b", "directory": "/srv/r"}, (), ("s3", "directory")),
        ({"email": False, "s3_bucket": "", "directory": ""}, ("ops@acme.test",), ()),
    ],
)
def test_channels_for_names_the_due_channels_in_table_order(
    delivery: dict[str, object], contacts: tuple[str, ...], expected: tuple[str, ...]
) -> None:
    assert channels_for(usage(**delivery).delivery, tenant(contacts=contacts)) == expected
    assert set(expected) <= set(CHANNELS)


def test_problems_name_each_unusable_setting() -> None:
    cfg = usage(email=True, bcc=["archive@platform.test", "a@b, c@d", "x\r\nBcc: y@z"], s3_kms_key_id="k")
    assert problems(run_settings(), cfg) == [
        "usage_report.delivery.email: needs notifications.email (the SMTP server and sender)",
        "usage_report.delivery.bcc: 'a@b, c@d' is not one e-mail address",
        "usage_report.delivery.bcc: 'x\\r\\nBcc: y@z' is not one e-mail address",
        "usage_report.delivery.s3_kms_key_id: only with s3_encryption: aws:kms",
    ]
    assert problems(run_settings(), usage(directory="/srv/reports")) == []


def test_an_unknown_channel_is_a_permanent_error_naming_the_known_ones(tmp_path: Path) -> None:
    with Deliverer(run_settings(), usage()) as deliverer, pytest.raises(PermanentError, match=r"'fax'.*email, s3"):
        deliverer.deliver("fax", bundle())


def test_a_channel_is_built_once_per_run_and_close_is_idempotent(tmp_path: Path) -> None:
    deliverer = Deliverer(run_settings(), usage(directory=str(tmp_path)))
    first = deliverer.channel("directory")
    assert deliverer.channel("directory") is first
    deliverer.close()
    deliverer.close()
    assert deliverer.channel("directory") is not first  # a new run's


def test_a_channel_whose_settings_are_missing_says_which(tmp_path: Path) -> None:
    with Deliverer(run_settings(), usage()) as deliverer:
        for channel, setting in [("s3", "s3_bucket"), ("directory", "directory")]:
            with pytest.raises(PermanentError, match=f"usage_report.delivery.{setting} is not set"):
                deliverer.deliver(channel, bundle())
