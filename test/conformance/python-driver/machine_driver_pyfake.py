"""A machine driver written in Python with Debian's python3-grpcio.

It implements machine.driver.v1 and go-plugin's handshake from scratch,
without any code from the TypeScript SDK, to show that the protocol is
language-neutral. It behaves like the TypeScript "fake" driver: a machine
exists while machine_dir/pyfake-machine.json exists.

The Python stubs are generated from proto/ at test time (grpc_tools.protoc);
MACHINE_PY_STUBS names the directory that holds them.
"""

import base64
import datetime
import json
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from concurrent import futures

COOKIE_KEY = "MACHINE_PLUGIN_MAGIC_COOKIE"
COOKIE_VALUE = "c1a4e8d2f07b4b6e9a35d6f1e2b80c47"
PROTOCOL_VERSIONS = [1]
NAME = "pyfake"
VERSION = "0.1.0"
RESOURCE = "pyfake-machine.json"
DIAGNOSTICS_TRAILER = "machine-diagnostics-bin"


def log(level, message, **fields):
    entry = {"@level": level, "@message": message, "@timestamp": datetime.datetime.now(datetime.timezone.utc).isoformat()}
    entry.update(fields)
    sys.stderr.write(json.dumps(entry) + "\n")
    sys.stderr.flush()


def refuse_without_cookie():
    if os.environ.get(COOKIE_KEY) != COOKIE_VALUE:
        sys.stderr.write(
            'This is the "pyfake" driver plugin for machine (version %s).\n'
            "It is not meant to be run by hand: machine starts it when a command uses this driver.\n" % VERSION
        )
        sys.exit(1)


def negotiate():
    raw = os.environ.get("PLUGIN_PROTOCOL_VERSIONS", "").strip()
    if not raw:
        return max(PROTOCOL_VERSIONS)
    theirs = [int(v) for v in raw.split(",") if v.strip().isdigit()]
    for v in sorted(PROTOCOL_VERSIONS, reverse=True):
        if v in theirs:
            return v
    sys.stderr.write(
        'error: no common driver protocol version: the "pyfake" driver speaks %s, the host asked for %s\n'
        % (", ".join(map(str, PROTOCOL_VERSIONS)), ", ".join(map(str, theirs)))
    )
    sys.exit(1)


refuse_without_cookie()
VERSION_CHOSEN = negotiate()

sys.path.insert(0, os.environ.get("MACHINE_PY_STUBS", os.path.join(os.path.dirname(__file__), "stubs")))
import grpc  # noqa: E402
from machine.driver.v1 import driver_pb2 as pb  # noqa: E402
from machine.driver.v1 import driver_pb2_grpc as pb_grpc  # noqa: E402
# grpc.health.v1 is generated under another module path: a "grpc" directory
# would shadow the grpc package itself.
from grpc_health_stubs import health_pb2, health_pb2_grpc  # noqa: E402
from plugin import grpc_controller_pb2, grpc_controller_pb2_grpc  # noqa: E402


class DriverFailure(Exception):
    def __init__(self, code, summary, detail="", flag=""):
        super().__init__(summary)
        self.code = code
        self.summary = summary
        self.detail = detail
        self.flag = flag


def fail(context, code, summary, detail="", flag=""):
    diags = pb.Diagnostics(diagnostics=[pb.Diagnostic(severity=pb.SEVERITY_ERROR, summary=summary, detail=detail, flag=flag)])
    context.set_trailing_metadata(((DIAGNOSTICS_TRAILER, diags.SerializeToString()),))
    context.abort(code, summary)


def guarded(fn):
    """Turns DriverFailure into a status with the diagnostics trailer."""

    def wrapper(self, request, context):
        try:
            return fn(self, request, context)
        except DriverFailure as e:
            fail(context, e.code, e.summary, e.detail, e.flag)

    return wrapper


def guarded_stream(fn):
    def wrapper(self, request, context):
        try:
            yield from fn(self, request, context)
        except DriverFailure as e:
            fail(context, e.code, e.summary, e.detail, e.flag)

    return wrapper


def read_state(request):
    if not request.state:
        return {}
    try:
        value = json.loads(request.state.decode("utf-8"))
    except ValueError as e:
        raise DriverFailure(grpc.StatusCode.INVALID_ARGUMENT, "the stored driver state is not valid JSON", str(e))
    if not isinstance(value, dict):
        raise DriverFailure(grpc.StatusCode.INVALID_ARGUMENT, "the stored driver state is not a JSON object")
    return value


def resource_path(request):
    return os.path.join(request.machine.machine_dir, RESOURCE) if request.machine.machine_dir else ""


def read_resource(request):
    p = resource_path(request)
    if not p or not os.path.exists(p):
        return None
    with open(p) as f:
        return json.load(f)


def write_resource(request, power):
    p = resource_path(request)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    tmp = p + ".tmp"
    with open(tmp, "w") as f:
        json.dump({"power": power}, f)
    os.replace(tmp, p)


def must_exist(request):
    r = read_resource(request)
    if r is None:
        raise DriverFailure(grpc.StatusCode.NOT_FOUND, 'the pyfake machine "%s" does not exist' % request.machine.name)
    return r


POWER = {"Running": pb.MACHINE_STATE_RUNNING, "Stopped": pb.MACHINE_STATE_STOPPED}


def state_of(request):
    r = read_resource(request)
    return POWER[r["power"]] if r else pb.MACHINE_STATE_NOT_FOUND


class Inflight:
    """Calls in progress, so shutdown can cancel them and wait for their undo."""

    def __init__(self):
        self.lock = threading.Lock()
        self.events = set()

    def add(self, ev):
        with self.lock:
            self.events.add(ev)

    def remove(self, ev):
        with self.lock:
            self.events.discard(ev)

    def cancel_all(self):
        with self.lock:
            events = list(self.events)
        for ev in events:
            ev.set()
        return events


INFLIGHT = Inflight()


def op_result(state=None, warnings=()):
    return pb.OperationResult(
        state=json.dumps(state).encode() if state is not None else b"",
        state_version=1 if state is not None else 0,
        warnings=[pb.Diagnostic(severity=pb.SEVERITY_WARNING, summary=w) for w in warnings],
    )


class Driver(pb_grpc.DriverServicer):
    def GetMetadata(self, request, context):
        return pb.Metadata(
            name=NAME,
            version=VERSION,
            protocol_versions=PROTOCOL_VERSIONS,
            capabilities=["describe", "cancel"],
            state_version=1,
            sdk="python3-grpcio %s" % grpc.__version__,
            description="A fake driver in Python, for the conformance kit",
        )

    def GetSchema(self, request, context):
        return pb.Schema(
            flags=[
                pb.Flag(name="pyfake-ip", type=pb.FLAG_TYPE_STRING, description="IP address to report", default=pb.Value(string_value="127.0.0.1")),
                pb.Flag(name="pyfake-create-delay-ms", type=pb.FLAG_TYPE_INT, description="How long create takes", default=pb.Value(int_value=0)),
                pb.Flag(name="pyfake-labels", type=pb.FLAG_TYPE_STRING_LIST, description="Labels"),
                pb.Flag(name="pyfake-warn", type=pb.FLAG_TYPE_BOOL, description="Warn on create", default=pb.Value(bool_value=False)),
            ]
        )

    @guarded
    def Configure(self, request, context):
        flags = request.flags
        ip = flags["pyfake-ip"].string_value if "pyfake-ip" in flags else "127.0.0.1"
        if ip.count(".") != 3:
            raise DriverFailure(grpc.StatusCode.INVALID_ARGUMENT, "--pyfake-ip must be an IPv4 address", flag="pyfake-ip")
        state = {
            "ip": ip,
            "createDelayMs": flags["pyfake-create-delay-ms"].int_value if "pyfake-create-delay-ms" in flags else 0,
            "labels": list(flags["pyfake-labels"].list_value.values) if "pyfake-labels" in flags else [],
            "warn": flags["pyfake-warn"].bool_value if "pyfake-warn" in flags else False,
        }
        return pb.StateResponse(state=json.dumps(state).encode(), state_version=1)

    @guarded
    def PreCreateCheck(self, request, context):
        if read_resource(request) is not None:
            raise DriverFailure(grpc.StatusCode.ALREADY_EXISTS, "the machine already exists")
        return op_result()

    @guarded_stream
    def Create(self, request, context):
        state = read_state(request)
        cancelled = threading.Event()
        context.add_callback(cancelled.set)
        INFLIGHT.add(cancelled)
        try:
            yield pb.OperationEvent(progress=pb.Progress(message="Creating pyfake machine"))
            write_resource(request, "Stopped")
            deadline = time.monotonic() + state.get("createDelayMs", 0) / 1000.0
            while time.monotonic() < deadline:
                if cancelled.wait(0.05):
                    log("info", "create cancelled; removing the machine", machine=request.machine.name)
                    os.remove(resource_path(request))
                    context.abort(grpc.StatusCode.CANCELLED, "the host cancelled the call")
            write_resource(request, "Running")
            yield pb.OperationEvent(result=op_result(state, ["pyfake warning"] if state.get("warn") else []))
        finally:
            INFLIGHT.remove(cancelled)

    def _power(self, request, power, message):
        must_exist(request)
        write_resource(request, power)
        yield pb.OperationEvent(progress=pb.Progress(message=message))
        yield pb.OperationEvent(result=op_result())

    @guarded_stream
    def Start(self, request, context):
        yield from self._power(request, "Running", "Started")

    @guarded_stream
    def Stop(self, request, context):
        yield from self._power(request, "Stopped", "Stopped")

    @guarded_stream
    def Restart(self, request, context):
        yield from self._power(request, "Running", "Restarted")

    @guarded
    def Kill(self, request, context):
        must_exist(request)
        write_resource(request, "Stopped")
        return op_result()

    @guarded
    def Remove(self, request, context):
        p = resource_path(request)
        if p and os.path.exists(p):
            os.remove(p)
        return op_result()

    @guarded
    def GetState(self, request, context):
        return pb.GetStateResponse(state=state_of(request))

    @guarded
    def GetIP(self, request, context):
        must_exist(request)
        return pb.GetIPResponse(ip=read_state(request).get("ip", ""))

    @guarded
    def GetURL(self, request, context):
        if state_of(request) != pb.MACHINE_STATE_RUNNING:
            return pb.GetURLResponse(url="")
        return pb.GetURLResponse(url="tcp://%s:2376" % read_state(request).get("ip", ""))

    @guarded
    def GetSSHInfo(self, request, context):
        st = read_state(request)
        return pb.SSHInfo(host=st.get("ip", ""), port=22, user="docker", key_path=os.path.join(request.machine.machine_dir, "id_rsa"))

    @guarded
    def Describe(self, request, context):
        st = state_of(request)
        d = pb.Description(state=st)
        if st == pb.MACHINE_STATE_NOT_FOUND:
            return d
        d.ip = read_state(request).get("ip", "")
        if st == pb.MACHINE_STATE_RUNNING:
            d.url = "tcp://%s:2376" % d.ip
        return d

    @guarded
    def UpgradeState(self, request, context):
        return pb.StateResponse(state=json.dumps(read_state(request)).encode(), state_version=1)


class Health(health_pb2_grpc.HealthServicer):
    def Check(self, request, context):
        if request.service in ("plugin", "", "machine.driver.v1.Driver"):
            return health_pb2.HealthCheckResponse(status=health_pb2.HealthCheckResponse.SERVING)
        context.abort(grpc.StatusCode.NOT_FOUND, "unknown service")

    def Watch(self, request, context):
        yield health_pb2.HealthCheckResponse(status=health_pb2.HealthCheckResponse.SERVING)
        while context.is_active():
            time.sleep(0.5)


class Plugin:
    def __init__(self):
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=16))
        self.socket_dir = None
        self.stopping = threading.Lock()

    def terminate(self, reason, grace=10.0):
        if not self.stopping.acquire(blocking=False):
            return
        log("debug", "driver exiting", reason=reason)
        events = INFLIGHT.cancel_all()
        end = time.monotonic() + grace
        while events and INFLIGHT.events and time.monotonic() < end:
            time.sleep(0.05)
        self.server.stop(0)
        if self.socket_dir:
            shutil.rmtree(self.socket_dir, ignore_errors=True)
        sys.stderr.flush()
        os._exit(0)

    def listen(self):
        if os.environ.get("MACHINE_PLUGIN_TRANSPORT") != "tcp":
            base = os.environ.get("PLUGIN_UNIX_SOCKET_DIR") or tempfile.gettempdir()
            self.socket_dir = tempfile.mkdtemp(prefix="pydrv-", dir=base)
            os.chmod(self.socket_dir, 0o700)
            sock = os.path.join(self.socket_dir, "d.sock")
            self.server.add_insecure_port("unix:" + sock)
            return "unix", sock, ""
        client_pem = os.environ.get("PLUGIN_CLIENT_CERT", "")
        if not client_pem:
            port = self.server.add_insecure_port("127.0.0.1:0")
            return "tcp", "127.0.0.1:%d" % port, ""
        key_pem, cert_pem, cert_der = ephemeral_cert()
        creds = grpc.ssl_server_credentials([(key_pem, cert_pem)], root_certificates=client_pem.encode(), require_client_auth=True)
        port = self.server.add_secure_port("127.0.0.1:0", creds)
        return "tcp", "127.0.0.1:%d" % port, base64.b64encode(cert_der).decode().rstrip("=")

    def serve(self):
        pb_grpc.add_DriverServicer_to_server(Driver(), self.server)
        health_pb2_grpc.add_HealthServicer_to_server(Health(), self.server)

        plugin = self

        class Controller(grpc_controller_pb2_grpc.GRPCControllerServicer):
            def Shutdown(self, request, context):
                threading.Timer(0.05, plugin.terminate, args=("shutdown requested by the host",)).start()
                return grpc_controller_pb2.Empty()

        grpc_controller_pb2_grpc.add_GRPCControllerServicer_to_server(Controller(), self.server)
        # Ctrl-C reaches the whole process group; the host decides when the driver stops.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=self.terminate, args=("SIGTERM", 1.5)).start())
        network, address, cert = self.listen()
        self.server.start()
        sys.stdout.write("1|%d|%s|%s|grpc|%s\n" % (VERSION_CHOSEN, network, address, cert))
        sys.stdout.flush()
        # Nothing else may reach stdout: the host reads it as protocol.
        sys.stdout = sys.stderr
        log("debug", "driver serving", network=network, address=address)
        self.watch_host()
        while True:
            time.sleep(3600)

    def watch_host(self):
        if os.environ.get("MACHINE_PLUGIN_LIFELINE") == "stdin":

            def read_stdin():
                while sys.stdin.buffer.read(4096):
                    pass
                self.terminate("the host went away (stdin closed)")

            threading.Thread(target=read_stdin, daemon=True).start()
        parent = os.getppid()

        def poll_parent():
            while True:
                time.sleep(1)
                if os.getppid() != parent:
                    self.terminate("the host went away (parent changed)")

        threading.Thread(target=poll_parent, daemon=True).start()


def ephemeral_cert():
    """go-plugin's AutoMTLS: a self-signed certificate for "localhost", also usable as a CA."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
    import ipaddress

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost"), x509.NameAttribute(NameOID.ORGANIZATION_NAME, "machine")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(seconds=30))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(True, True, False, False, False, True, False, False, False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return key_pem, cert.public_bytes(serialization.Encoding.PEM), cert.public_bytes(serialization.Encoding.DER)


if __name__ == "__main__":
    Plugin().serve()
