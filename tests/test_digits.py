"""Only ASCII digits are numbers, wherever text from outside is read as one."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jobs.certificate_checker.settings import CertificateCheckerSettings
from jobs.core.digits import is_ascii_digits


@given(st.text(max_size=8))
def test_only_ascii_digit_strings_are_digits(text: str) -> None:
    assert is_ascii_digits(text) == (bool(text) and all("0" <= c <= "9" for c in text))


@pytest.mark.parametrize("port", ["²", "٤٤٣", "\uff14\uff14\uff13", "", "44 3"])
def test_an_endpoint_shorthand_with_a_port_that_is_not_ascii_digits_is_a_config_error(port: str) -> None:
    """`host:٤٤٣` was read as port 443 and `host:²` raised int()'s own message."""
    with pytest.raises(ValueError, match="expected host:port or a URL"):
        CertificateCheckerSettings.model_validate({"endpoints": [f"api.example.test:{port}"]})
