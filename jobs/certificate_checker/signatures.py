"""Who issued a certificate, decided for every signature algorithm, SHA-1 and MD5 included.

cryptography's `verify_directly_issued_by` refuses SHA-1 and MD5 signatures, so a SHA-1
root was never "self-signed" and a SHA-1 chain never linked: an expired SHA-1 root appended
to a good chain then counted as an intermediate and made the leaf "expired". Here the
issuer is matched by name and key identifiers, and the raw signature over
`tbs_certificate_bytes` is checked with the issuer's public key and the certificate's own
hash: a weak hash is a problem the rules report, not a reason to lose the link.
"""

from __future__ import annotations

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa

#: what verifying a signature can raise besides "it does not match"
_NOT_VERIFIED = (InvalidSignature, UnsupportedAlgorithm, ValueError, TypeError)


def key_size(cert: x509.Certificate) -> tuple[str, int]:
    try:
        key = cert.public_key()
    except (ValueError, UnsupportedAlgorithm):
        return "unknown", 0
    if isinstance(key, rsa.RSAPublicKey):
        return "RSA", key.key_size
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "EC", key.curve.key_size
    if isinstance(key, dsa.DSAPublicKey):
        return "DSA", key.key_size
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "Ed25519", 256
    if isinstance(key, ed448.Ed448PublicKey):
        return "Ed448", 456
    return type(key).__name__, 0


def _key_identifier(cert: x509.Certificate, kind: type[x509.ExtensionType]) -> bytes | None:
    try:
        value = cert.extensions.get_extension_for_class(kind).value
    except (x509.ExtensionNotFound, ValueError, x509.DuplicateExtension, x509.UnsupportedGeneralNameType):
        return None
    if isinstance(value, x509.AuthorityKeyIdentifier):
        return value.key_identifier
    return value.digest if isinstance(value, x509.SubjectKeyIdentifier) else None


def names_match(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    """The issuer name, and the key identifiers where both certificates carry one."""
    if cert.issuer != issuer.subject:
        return False
    authority = _key_identifier(cert, x509.AuthorityKeyIdentifier)
    subject = _key_identifier(issuer, x509.SubjectKeyIdentifier)
    return authority is None or subject is None or authority == subject


def signed_with(cert: x509.Certificate, key: object) -> bool:
    """Whether `key` made `cert`'s signature, with the certificate's own hash and padding."""
    signature, data = cert.signature, cert.tbs_certificate_bytes
    try:
        if isinstance(key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
            key.verify(signature, data)
            return True
        algorithm = cert.signature_hash_algorithm
        if algorithm is None:
            return False
        if isinstance(key, rsa.RSAPublicKey):
            scheme = cert.signature_algorithm_parameters or padding.PKCS1v15()  # None for md5WithRSA
            if not isinstance(scheme, padding.PKCS1v15 | padding.PSS):
                return False
            key.verify(signature, data, scheme, algorithm)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, data, ec.ECDSA(algorithm))
        elif isinstance(key, dsa.DSAPublicKey):
            key.verify(signature, data, algorithm)
        else:
            return False
    except _NOT_VERIFIED:
        return False
    return True


def issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    """Whether `issuer` signed `cert` (names, key identifiers, signature), whatever the dates and hash."""
    try:
        if not names_match(cert, issuer):
            return False
        key = issuer.public_key()
    except _NOT_VERIFIED:
        return False
    return signed_with(cert, key)
