"""The validations acme_mock.py runs, as a CA would: dns-01 asked of a list of DNS servers, and
tls-alpn-01 (RFC 8737) with SNI and ALPN acme-tls/1. Each returns (ok, detail, seen)."""

import hashlib
import socket
import ssl
import time

import dns.flags
import dns.message
import dns.query
import dns.rdatatype
from cryptography import x509

from acme_mock_pki import b64u

ACME_IDENTIFIER_OID = x509.ObjectIdentifier("1.3.6.1.5.5.7.1.31")
IO_TIMEOUT = 5               # seconds for one validation connection or DNS query


def validate_dns(servers, attempts, interval, name, keyauth):
    """dns-01 (RFC 8555 8.4) asked of every server [(address, port)], attempts times, interval
    seconds apart: (ok, detail, {server: TXT strings seen})."""
    want = b64u(hashlib.sha256(keyauth.encode()).digest())
    qname = "_acme-challenge." + name.rstrip(".") + "."
    seen = {}
    for attempt in range(max(1, attempts)):
        if attempt:
            time.sleep(interval)
        missing = []
        for host, port in list(servers):
            where = "%s:%d" % (host, port)
            try:
                q = dns.message.make_query(qname, "TXT")
                r = dns.query.udp(q, host, port=port, timeout=IO_TIMEOUT)
                if r.flags & dns.flags.TC:
                    r = dns.query.tcp(q, host, port=port, timeout=IO_TIMEOUT)
                txts = [b"".join(rd.strings).decode("ascii", "replace")
                        for rrset in r.answer if rrset.rdtype == dns.rdatatype.TXT
                        for rd in rrset]
            except Exception as e:          # a server that does not answer fails it
                txts = ["error: %s" % e]
            seen[where] = txts
            if want not in txts:
                missing.append(where)
        if not servers:
            return False, "no DNS servers configured in the mock", seen
        if not missing:
            return True, "", seen
    return False, "TXT %s with the key authorization's digest not served by %s" % (
        qname, ", ".join(missing)), seen


def validate_tls_alpn(target, name, keyauth):
    """tls-alpn-01 (RFC 8737 3) at target (address, port): (ok, detail, what was seen)."""
    if not target:
        return False, "no tls_alpn_target configured in the mock", {}
    host, port = target
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_alpn_protocols(["acme-tls/1"])
    try:
        with socket.create_connection((host, port), timeout=IO_TIMEOUT) as raw:
            with ctx.wrap_socket(raw, server_hostname=name) as s:
                proto = s.selected_alpn_protocol()
                der = s.getpeercert(binary_form=True)
    except (OSError, ssl.SSLError) as e:
        return False, "connecting to %s:%d for %s: %s" % (host, port, name, e), {}
    seen = {"alpn": proto}
    if proto != "acme-tls/1":
        return False, "ALPN acme-tls/1 not negotiated (got %r)" % proto, seen
    cert = x509.load_der_x509_certificate(der)
    try:
        ext = cert.extensions.get_extension_for_oid(ACME_IDENTIFIER_OID)
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound as e:
        return False, "validation certificate lacks %s" % e, seen
    seen.update(critical=ext.critical, names=san.get_values_for_type(x509.DNSName))
    want = b"\x04\x20" + hashlib.sha256(keyauth.encode()).digest()
    if not ext.critical or seen["names"] != [name] or len(list(san)) != 1:
        return False, "validation certificate malformed: %r" % seen, seen
    if ext.value.value != want:
        return False, "wrong key authorization digest in the certificate", seen
    return True, "", seen
