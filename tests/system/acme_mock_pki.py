"""Keys and certificates for acme_mock.py: base64url, JWK thumbprints and public keys, RFC 9773
certificate IDs, the mock's HTTPS certificate (https_certificate) and the CA that issues
(IssuingCA). python3-cryptography only."""

import base64
import datetime
import hashlib
import ipaddress
import json
import os
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64u_decode(text):
    if not isinstance(text, str):
        raise ValueError("not a string")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def rfc3339(dt):
    return dt.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def now_utc():
    return datetime.datetime.now(datetime.timezone.utc)


def jwk_thumbprint(jwk):
    """RFC 7638 for an EC key: SHA-256 of the required members in lexical order."""
    canon = json.dumps({k: jwk[k] for k in ("crv", "kty", "x", "y")}, separators=(",", ":"),
                       sort_keys=True)
    return b64u(hashlib.sha256(canon.encode()).digest())


def jwk_public_key(jwk):
    if jwk.get("kty") != "EC" or jwk.get("crv") != "P-256":
        raise ValueError("only EC P-256 keys (ES256)")
    x, y = b64u_decode(jwk["x"]), b64u_decode(jwk["y"])
    if len(x) != 32 or len(y) != 32:
        raise ValueError("bad P-256 coordinates")
    return ec.EllipticCurvePublicNumbers(int.from_bytes(x, "big"), int.from_bytes(y, "big"),
                                         ec.SECP256R1()).public_key()


def cert_id(cert):
    """RFC 9773 4.1: base64url(AKI keyIdentifier) "." base64url(serial's DER content)."""
    aki = cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    n = cert.serial_number
    serial = n.to_bytes((n.bit_length() + 8) // 8, "big")    # a leading 0 when the top bit is set
    return "%s.%s" % (b64u(aki.key_identifier), b64u(serial))


def make_ca(name, issuer=None, issuer_key=None, days=3650):
    """A P-256 CA certificate for name, self-signed or signed by issuer: (certificate, key)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    t = now_utc()
    b = (x509.CertificateBuilder().subject_name(subject)
         .issuer_name(issuer.subject if issuer else subject).public_key(key.public_key())
         .serial_number(x509.random_serial_number())
         .not_valid_before(t - datetime.timedelta(hours=1))
         .not_valid_after(t + datetime.timedelta(days=days))
         .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
         .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False,
                                      False), critical=True)
         .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                        critical=False))
    if issuer:
        b = b.add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
            issuer.public_key()), critical=False)
    return b.sign(issuer_key or key, hashes.SHA256()), key


def pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def https_certificate(workdir, hostname, address):
    """A root and a server certificate for hostname and address: writes https.pem (the chain)
    and https.key into workdir; returns the root's file, https-ca.pem, for the clients."""
    root, root_key = make_ca("acme-mock https root")
    key = ec.generate_private_key(ec.SECP256R1())
    t = now_utc()
    leaf = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)]))
            .issuer_name(root.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(t - datetime.timedelta(hours=1))
            .not_valid_after(t + datetime.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName(
                [x509.DNSName(hostname), x509.IPAddress(ipaddress.ip_address(address)),
                 x509.IPAddress(ipaddress.ip_address("::1"))]),
                critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
            .sign(root_key, hashes.SHA256()))
    workdir = Path(workdir)
    (workdir / "https.pem").write_text(pem(leaf) + pem(root))
    kpath = workdir / "https.key"
    kpath.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                        serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption()))
    os.chmod(kpath, 0o600)
    (workdir / "https-ca.pem").write_text(pem(root))
    return workdir / "https-ca.pem"


class IssuingCA:
    """The CA that signs what the mock issues: root X1 -> intermediate R1 -> leaves, and the
    same intermediate cross-signed by root X2 for the alternate chain. Writes root.pem and
    root2.pem into workdir."""

    def __init__(self, workdir):
        workdir = Path(workdir)
        self.root, root_key = make_ca("acme-mock root X1")
        self.intermediate, self.intermediate_key = make_ca("acme-mock intermediate R1",
                                                           self.root, root_key, days=1825)
        self.root_file = workdir / "root.pem"
        self.root_file.write_text(pem(self.root))
        self.root2, root2_key = make_ca("acme-mock root X2")
        t = now_utc()
        self.intermediate_alt = (
            x509.CertificateBuilder().subject_name(self.intermediate.subject)
            .issuer_name(self.root2.subject).public_key(self.intermediate.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(t - datetime.timedelta(hours=1))
            .not_valid_after(t + datetime.timedelta(days=1825))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(
                self.intermediate.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                self.root2.public_key()), critical=False)
            .sign(root2_key, hashes.SHA256()))
        self.root2_file = workdir / "root2.pem"
        self.root2_file.write_text(pem(self.root2))

    def issue(self, pub, names, lifetime):
        """A leaf for the public key pub naming names, valid lifetime seconds from now (and
        five minutes back): (the certificate, the chain in PEM with the intermediate)."""
        t = now_utc()
        cert = (x509.CertificateBuilder().subject_name(x509.Name([]))
                .issuer_name(self.intermediate.subject).public_key(pub)
                .serial_number(x509.random_serial_number())
                .not_valid_before(t - datetime.timedelta(minutes=5))
                .not_valid_after(t + datetime.timedelta(seconds=lifetime))
                .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]),
                               critical=True)
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .add_extension(x509.KeyUsage(True, False, False, False, False, False, False,
                                             False, False), critical=True)
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                               critical=False)
                .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                    self.intermediate.public_key()), critical=False)
                .sign(self.intermediate_key, hashes.SHA256()))
        return cert, pem(cert) + pem(self.intermediate)

    def alternate_chain(self, chain):
        """The leaf of chain (PEM) with the cross-signed intermediate."""
        end = "-----END CERTIFICATE-----\n"
        return chain[:chain.index(end) + len(end)] + pem(self.intermediate_alt)
