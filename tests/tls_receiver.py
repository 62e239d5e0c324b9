"""HTTPS receivers on a private PKI, for the receiver TLS tests (tests/integration/tls.rs).

Makes a certificate authority, a server certificate for 127.0.0.1 signed by it, and a client
certificate signed by a second authority; then serves two HTTPS ports with the server
certificate: one that asks for nothing more, one that requires a client certificate of the
client authority (mutual TLS). A plain HTTP port answers GET /_log with what each HTTPS port
received (its port, path and the client certificate's common name).

  python tls_receiver.py   -> prints one JSON line: {"ca": PEM, "client_cert": PEM,
                              "client_key": PEM, "other_client_cert": PEM, "other_client_key":
                              PEM, "tls_port": n, "mtls_port": n, "control_port": n}
"""

import datetime
import json
import os
import ssl
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
import ipaddress

LOG = []
LOCK = threading.Lock()


def name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def cert(subject, key, issuer, issuer_key, ca=False, ip=None):
    now = datetime.datetime.now(datetime.timezone.utc)
    b = (x509.CertificateBuilder().subject_name(name(subject)).issuer_name(name(issuer))
         .public_key(key.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(now - datetime.timedelta(hours=1))
         .not_valid_after(now + datetime.timedelta(days=1))
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if ip:
        b = b.add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(ip))]),
                            critical=False)
    return b.sign(issuer_key, hashes.SHA256())


def pem(c):
    return c.public_bytes(serialization.Encoding.PEM).decode()


def key_pem(k):
    return k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                           serialization.NoEncryption()).decode()


def authority(cn):
    k = ec.generate_private_key(ec.SECP256R1())
    return k, cert(cn, k, cn, k, ca=True)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, data):
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        with LOCK:
            data = json.dumps(LOG).encode()
        self.reply(200, data)

    def do_POST(self):
        n = int(self.headers.get("content-length") or 0)
        self.rfile.read(n)
        peer = self.connection.getpeercert() if hasattr(self.connection, "getpeercert") else None
        cn = None
        for rdn in (peer or {}).get("subject", ()):
            for k, v in rdn:
                if k == "commonName":
                    cn = v
        with LOCK:
            LOG.append({"port": self.server.server_address[1], "path": self.path,
                        "client": cn})
        self.reply(200, b'{"received": true}')


def serve(context):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    if context is not None:
        server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server.server_address[1]


def main():
    ca_key, ca = authority("Hookline test CA")
    client_ca_key, client_ca = authority("Hookline test client CA")
    server_key = ec.generate_private_key(ec.SECP256R1())
    server = cert("127.0.0.1", server_key, "Hookline test CA", ca_key, ip="127.0.0.1")
    client_key = ec.generate_private_key(ec.SECP256R1())
    client = cert("hookline-client", client_key, "Hookline test client CA", client_ca_key)
    # Signed by the server's CA, not the client CA: the mTLS port must refuse it.
    other_key = ec.generate_private_key(ec.SECP256R1())
    other = cert("someone-else", other_key, "Hookline test CA", ca_key)

    files = tempfile.mkdtemp(prefix="hookline-tls-")
    paths = {}
    for label, text in [("server.pem", pem(server) + pem(ca)), ("server.key", key_pem(server_key)),
                        ("client_ca.pem", pem(client_ca))]:
        paths[label] = os.path.join(files, label)
        with open(paths[label], "w") as f:
            f.write(text)

    def context(require_client):
        c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        c.load_cert_chain(paths["server.pem"], paths["server.key"])
        if require_client:
            c.verify_mode = ssl.CERT_REQUIRED
            c.load_verify_locations(paths["client_ca.pem"])
        return c

    out = {
        "ca": pem(ca),
        "client_cert": pem(client),
        "client_key": key_pem(client_key),
        "other_client_cert": pem(other),
        "other_client_key": key_pem(other_key),
        "tls_port": serve(context(False)),
        "mtls_port": serve(context(True)),
        "control_port": serve(None),
    }
    print(json.dumps(out), flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    sys.exit(main())
