# ruff: noqa: RUF001 - French typography: its apostrophe and guillemets are the point
"""French words of the usage report (the platform's French-speaking tenants).

Typography: a no-break space (U+00A0) before a colon, guillemets with narrow no-break spaces
(U+202F) inside, as French print does.
"""

from __future__ import annotations

from typing import Final

MONTHS: Final = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip
WEEKDAYS: Final = ("lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim.")

LABELS: Final[dict[str, str]] = {
    "calls": "Appels",
    "success": "Appels réussis",
    "failed": "Appels en échec",
    "error_rate": "Taux d’erreur",
    "mb_in": "Entrant",
    "mb_out": "Sortant",
    "mb_total": "Trafic total",
    "latency_avg": "Latence moyenne",
    "latency_p50": "Latence p50",
    "latency_p95": "Latence p95",
    "latency_p99": "Latence p99",
    "apis": "API actives",
    "applications": "Applications",
    "users": "Utilisateurs",
    "report_title": "Rapport d’utilisation des API",
    "tenant": "Client",
    "period": "Période",
    "daily": "Rapport quotidien",
    "weekly": "Rapport hebdomadaire",
    "key_figures": "Chiffres clés",
    "quota": "Quota",
    "charts": "Évolution sur la période",
    "chart_calls": "Appels et erreurs",
    "chart_latency": "Percentiles de latence (ms)",
    "chart_bandwidth": "Bande passante (Mo)",
    "top_apis_by_calls": "API les plus appelées",
    "top_apis_by_errors": "API avec le plus d’erreurs",
    "top_applications_by_calls": "Applications les plus actives",
    "top_applications_by_errors": "Applications avec le plus d’erreurs",
    "notes": "À propos de ce rapport",
    "appendix": "Comment ces chiffres sont calculés",
    "completeness": "Complétude des données",
    "problems": "Ce qui n’a pas pu être lu",
    "breakdown_source": "Répartition par API et par application issue de",
    "source_prometheus": "Prometheus",
    "source_gateway_analytics": "l’analytique de la passerelle",
    "source_none": "aucune source",
    "no_traffic": "Aucun trafic sur cette période",
    "no_top": "Rien à afficher",
    "chart_gap": "Pas de données",  # a chart's legend for the shaded span without samples
    "label_value": "{label}\u00a0: {value}",
    "page_of": "Page {page} sur {pages}",
    "rank": "N°",
    "api": "API",
    "application": "Application",
    "errors": "Erreurs",
    "share": "Part des appels",
    "metric": "Indicateur",
    "value": "Valeur",
    "previous": "Période précédente",
    "change": "Évolution",
    "unit": "Unité",
    "definition": "Définition",
    "query": "Requête",
    "series_calls": "Appels",
    "series_errors": "Erreurs",
    "series_latency_p50": "p50",
    "series_latency_p95": "p95",
    "series_latency_p99": "p99",
    "series_bytes_in": "Entrant",
    "series_bytes_out": "Sortant",
    "quota_monthly": "Quota mensuel",
    "quota_period_allowance": "Part du quota pour la période",
    "quota_period_used": "Utilisé sur la période",
    "quota_month_used": "Utilisé depuis le début du mois",
    "quota_runs_out_on": "Épuisé le",
    "quota_not_this_month": "Pas ce mois-ci",
    "quota_exceeded": "Dépassé",
    "no_quota": "Aucun quota mensuel",
    "not_available": "n.d.",
    "new": "nouveau",
    "unchanged": "=",
    "unnamed": "(sans nom)",
    "empty": "(vide)",
    "definition_generic": "Calculé par la requête ci-dessous.",
    "unit_count": "",
    "unit_share": "%",
    "unit_mb": "Mo",
    "unit_ms": "ms",
    "week_same_month": "Semaine {week}, du {first_day} au {last_day} {last_month} {last_year}",
    "week_same_year": "Semaine {week}, du {first_day} {first_month} au {last_day} {last_month} {last_year}",
    "week_across_years": "Semaine {week}, du {first_day} {first_month} {first_year} "
    "au {last_day} {last_month} {last_year}",
    "first_of_month": "1er",
    "field_with_name": "{field} de «\u202f{name}\u202f»",
    "field_with_code": "{field} (code de statut {code})",
    "in_previous_period": "{text} de la période précédente",
    "previous_period_prefix": "Période précédente\u00a0: {text}",
    "mail_subject": "{tenant}\u00a0: rapport d’utilisation des API, {period}",
    "mail_greeting": "Bonjour,",
    "mail_intro": "Veuillez trouver ci-joint le rapport d’utilisation des API de {tenant} pour {period}.",
    "mail_key_figures": "Chiffres clés\u00a0:",
    "mail_notes": "À noter\u00a0:",
    "mail_closing": "Ce message est envoyé automatiquement\u00a0; le PDF explique comment chaque chiffre est calculé.",
    "mail_signature": "L’équipe de la plateforme API",
}

NOTES: Final[dict[str, str]] = {
    "locale_unknown": "La langue «\u202f{locale}\u202f» n’a pas été reconnue\u00a0: ce rapport est en anglais.",
    "no_traffic": "Aucun trafic sur cette période\u00a0: tous les compteurs sont à zéro.",
    "previous_missing": "Aucun trafic sur la période précédente\u00a0: pas d’évolution calculable.",
    "incomplete": "Les données couvrent {percent} de la période\u00a0: des mesures manquent, "
    "les chiffres peuvent être sous-estimés.",
    "completeness_unknown": "La part de la période couverte par des données n’a pas pu être mesurée.",
    "value_invalid": "Valeur écartée, car ce n’était pas un nombre ({value})\u00a0: {field}.",
    "value_negative": "Valeur écartée, car négative ({value}) comme après une remise à zéro du compteur\u00a0: "
    "{field}.",
    "value_overflow": "Valeur écartée, car trop grande pour être additionnée\u00a0: {field}.",
    "latency_without_calls": "Une latence a été mesurée sans aucun appel\u00a0: elle a été écartée.",
    "codes_other": "Appels avec un code de statut hors de 1xx\u20135xx ({codes})\u00a0: {calls}, "
    "comptés dans les appels seulement.",
    "quota_invalid": "Le quota mensuel ({quota}) n’est pas un nombre positif\u00a0: les chiffres du quota sont omis.",
    "quota_exceeded": "Le quota mensuel de {quota} appels est dépassé\u00a0: {used} appels depuis le début du mois.",
    "quota_runs_out": "Au rythme de cette période, le quota mensuel sera épuisé le {date}.",
    "month_to_date_missing": "Les appels depuis le début du mois n’ont pas pu être lus\u00a0: "
    "les chiffres du mois sont omis.",
    "source_problem": "Lecture impossible\u00a0: {problem}.",
    "breakdown_missing": "Aucune source ne donne les appels par API ou par application\u00a0: "
    "les classements sont vides.",
    "name_empty": "Des {kind} sans nom ({count}) apparaissent comme «\u202f(sans nom)\u202f».",
    "name_long": "Des {kind} au nom de plus de {limit} caractères ({count}) sont affichées en abrégé.",
    "name_duplicate": "«\u202f{name}\u202f» apparaissait plusieurs fois parmi les {kind}\u00a0: "
    "ses chiffres ont été additionnés.",
    "series_points_dropped": "Des points du graphique «\u202f{series}\u202f» n’étaient pas des nombres "
    "et ne sont pas tracés ({count}).",
}

FIELDS: Final[dict[str, str]] = {
    "calls": "nombre d’appels",
    "bytes_in": "octets entrants",
    "bytes_out": "octets sortants",
    "latency_sum": "latence cumulée",
    "latency_count": "nombre de mesures de latence",
    "latency_p50": "latence p50",
    "latency_p95": "latence p95",
    "latency_p99": "latence p99",
    "month_to_date_calls": "nombre d’appels depuis le début du mois",
    "completeness": "complétude des données",
    "api_calls": "nombre d’appels",
    "api_errors": "nombre d’erreurs",
    "application_calls": "nombre d’appels",
    "application_errors": "nombre d’erreurs",
    "api_count": "nombre d’API actives",
    "application_count": "nombre d’applications",
    "user_count": "nombre d’utilisateurs",
    "api": "API",
    "application": "applications",
    "errors": "erreurs",
    "bytes": "bande passante",
}

DEFINITIONS: Final[dict[str, str]] = {
    "calls": "Toutes les requêtes auxquelles la passerelle a répondu sur la période, quel que soit le code "
    "de statut\u00a0: l’augmentation du compteur de requêtes sur la période.",
    "success": "Appels ayant reçu un code de statut de 100 à 399.",
    "failed": "Appels ayant reçu un code de statut de 400 à 599 (erreurs du client et du serveur).",
    "error_rate": "Appels en échec divisés par l’ensemble des appels.",
    "mb_in": "Octets reçus dans les requêtes, en mégaoctets (1\u00a0Mo = 1\u202f000\u202f000 octets).",
    "mb_out": "Octets envoyés dans les réponses, en mégaoctets (1\u00a0Mo = 1\u202f000\u202f000 octets).",
    "mb_total": "Mégaoctets entrants et sortants additionnés.",
    "latency_avg": "Le temps total passé à répondre divisé par le nombre d’appels mesurés, en millisecondes.",
    "latency_p50": "La moitié des appels ont reçu une réponse plus rapide, estimé à partir de l’histogramme "
    "des latences.",
    "latency_p95": "95\u202f% des appels ont reçu une réponse plus rapide, estimé à partir de l’histogramme "
    "des latences.",
    "latency_p99": "99\u202f% des appels ont reçu une réponse plus rapide, estimé à partir de l’histogramme "
    "des latences.",
    "apis": "API actives dans le plan de contrôle à la date du rapport.",
    "applications": "Applications enregistrées dans le plan de contrôle à la date du rapport.",
    "users": "Utilisateurs du client dans le plan de contrôle à la date du rapport.",
    "quota": "Le quota mensuel d’appels, réparti sur les jours du mois\u00a0: la part de la période est le "
    "quota multiplié par les jours de la période et divisé par les jours du mois. La prévision divise "
    "le reste du quota par les appels par jour de la période.",
    "month_to_date_calls": "Appels du premier jour du mois à la fin de la période.",
    "completeness": "La part des intervalles de collecte de la période qui ont des mesures\u00a0: en dessous "
    "de 100\u202f%, des données manquent et les compteurs peuvent être sous-estimés.",
    "top_apis": "API classées par appels et par appels en échec sur la période\u00a0; à égalité, par nom.",
    "top_applications": "Applications clientes classées par appels et par appels en échec\u00a0; à égalité, par nom.",
    "change": "L’évolution par rapport à la période précédente de même durée, en pourcentage de la valeur précédente.",
}
