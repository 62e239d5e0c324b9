"""How long a Lambda function takes to initialise with the CPU share of a memory setting.

Lambda's Init Duration runs from the start of the function's process to its first request for
work (GET .../runtime/invocation/next). This script plays Lambda's Runtime API on loopback,
starts the function's `bootstrap` in a container of the given image limited to the CPU share
and memory of the setting (Lambda gives 1 vCPU at 1,769 MB, so 0.145 at 256 MB), and takes
the time from the process's start (printed by the container's shell just before it runs the
binary) to that first request, and the CPU time the container's cgroup counted in between.
It prints the median and the spread of several starts, for two CFS periods, since what
Lambda's scheduler uses is not published: Docker's default (100 ms), in which a start this
short is rarely throttled, and 10 ms, in which the share is enforced within the start itself.
The system's trust store (read at init) is bind-mounted from this machine, which must be a
Debian-like one (/etc/ssl/certs): see start_once.

    python tests/bench/lambda_init.py --image IMAGE --memory-mb 256 NAME=BOOTSTRAP ...
"""

import argparse
import http.server
import os
import statistics
import subprocess
import threading
import time

# A vCPU at 1,769 MB, in proportion below (AWS Lambda's documentation of memory and CPU).
MB_PER_VCPU = 1769


class RuntimeApi(http.server.BaseHTTPRequestHandler):
    """The first GET of the next invocation marks the end of init; nothing is handed out."""

    first_next = None  # time.time_ns() of the first /next since the last reset
    cpu_at_next = None  # the container's CPU time then (ns)
    cgroup = None  # the container's CPU accounting file, on the host
    init_error = None
    arrived = threading.Event()

    def do_GET(self):
        if self.path.endswith("/runtime/invocation/next"):
            if RuntimeApi.first_next is None:
                RuntimeApi.first_next = time.time_ns()
                if RuntimeApi.cgroup is not None:
                    RuntimeApi.cpu_at_next = cgroup_cpu_ns(RuntimeApi.cgroup)
                RuntimeApi.arrived.set()
            # Hold the request: the container is stopped once the time is taken.
            time.sleep(30)
        self.send_response(404)
        self.end_headers()

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length).decode(errors="replace")
        if self.path.endswith("/runtime/init/error"):
            RuntimeApi.init_error = body
            RuntimeApi.arrived.set()
        self.send_response(202)
        self.end_headers()

    def log_message(self, *args):
        pass


# The container's CPU time: cgroup v1's cpuacct (nanoseconds) or v2's cpu.stat (microseconds).
IN_CONTAINER_CPU = (
    "cat /sys/fs/cgroup/cpuacct/cpuacct.usage 2>/dev/null"
    " || awk '/^usage_usec/ {print $2 * 1000}' /sys/fs/cgroup/cpu.stat"
)


def host_cgroup(cid):
    """The container's CPU accounting file, once the container has started."""
    for _ in range(100):
        for path in (f"/sys/fs/cgroup/cpuacct/docker/{cid}/cpuacct.usage",
                     f"/sys/fs/cgroup/system.slice/docker-{cid}.scope/cpu.stat",
                     f"/sys/fs/cgroup/docker/{cid}/cpu.stat"):
            if os.path.exists(path):
                return path
        time.sleep(0.01)
    raise SystemExit(f"no CPU accounting found for container {cid}")


def cgroup_cpu_ns(path):
    text = open(path).read()
    if path.endswith("cpuacct.usage"):
        return int(text)
    usec = next(line.split()[1] for line in text.splitlines() if line.startswith("usage_usec"))
    return int(usec) * 1000


def start_once(image, bootstrap, port, cpus, period_us, memory_mb, env):
    RuntimeApi.first_next = None
    RuntimeApi.cpu_at_next = None
    RuntimeApi.init_error = None
    RuntimeApi.arrived.clear()
    RuntimeApi.cgroup = None
    name = f"hookline-init-{os.getpid()}-{time.monotonic_ns()}"
    cmd = [
        "docker", "run", "--rm", "--name", name, "--network", "host",
        f"--memory={memory_mb}m",
        f"--cpu-period={period_us}", f"--cpu-quota={int(cpus * period_us)}",
        "-v", f"{os.path.abspath(bootstrap)}:/var/task/bootstrap:ro",
        # The trust store read at init, bind-mounted: a container's own files may be served
        # through a userspace filesystem (fuse-overlayfs, as on this project's machines),
        # which costs each of the store's ~300 files a round trip Lambda's disk does not.
        "-v", "/etc/ssl/certs:/etc/ssl/certs:ro",
        "-v", "/usr/share/ca-certificates:/usr/share/ca-certificates:ro",
        "-e", f"AWS_LAMBDA_RUNTIME_API=127.0.0.1:{port}",
        "-e", f"AWS_LAMBDA_FUNCTION_MEMORY_SIZE={memory_mb}",
    ]
    for k, v in env.items():
        cmd += ["-e", f"{k}={v}"]
    # The shell waits first, so that starting the container has not used the share of the
    # period in which the function starts; then it prints the time and the CPU used so far.
    script = f"sleep 0.3; {IN_CONTAINER_CPU}; date +%s%N; exec /var/task/bootstrap"
    cmd += [image, "/bin/sh", "-c", script]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    # Found while the shell sleeps, before the function can ask for work.
    for _ in range(100):
        cid = subprocess.run(["docker", "inspect", "-f", "{{.Id}}", name],
                             capture_output=True, text=True).stdout.strip()
        if cid:
            RuntimeApi.cgroup = host_cgroup(cid)
            break
        time.sleep(0.01)
    cpu_before = int(float(proc.stdout.readline().strip()))
    started = int(proc.stdout.readline().strip())
    if not RuntimeApi.arrived.wait(60):
        raise SystemExit(f"{bootstrap}: no request for work within 60 s")
    subprocess.run(["docker", "rm", "-f", name], capture_output=True)
    proc.wait()
    if RuntimeApi.init_error is not None:
        raise SystemExit(f"{bootstrap}: init failed: {RuntimeApi.init_error}")
    if RuntimeApi.cpu_at_next is None:
        raise SystemExit(f"{bootstrap}: asked for work before its container's CPU could be read")
    return (RuntimeApi.first_next - started) / 1e6, (RuntimeApi.cpu_at_next - cpu_before) / 1e6


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--image", required=True)
    p.add_argument("--memory-mb", type=int, default=256)
    p.add_argument("--runs", type=int, default=7)
    p.add_argument("functions", nargs="+", help="NAME=path/to/bootstrap")
    args = p.parse_args()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), RuntimeApi)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    cpus = args.memory_mb / MB_PER_VCPU
    # What the template gives the functions, with an emulator's address nothing answers on:
    # initialisation builds clients and reads settings, and calls nothing.
    env = {
        "HOOKLINE_BACKEND": "aws",
        "HOOKLINE_AWS_ENDPOINT_URL": "http://127.0.0.1:9",
        "HOOKLINE_TABLE": "hookline",
        "HOOKLINE_QUEUE_URL": "http://127.0.0.1:9/000000000000/deliveries",
        "HOOKLINE_FIFO_QUEUE_URL": "http://127.0.0.1:9/000000000000/deliveries.fifo",
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "init-bench",
        "AWS_SECRET_ACCESS_KEY": "init-bench",
        "AWS_LAMBDA_FUNCTION_NAME": "init-bench",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_LOG_GROUP_NAME": "init-bench",
        "AWS_LAMBDA_LOG_STREAM_NAME": "init-bench",
    }
    print(f"Lambda init at {args.memory_mb} MB ({cpus:.3f} of a CPU, {args.memory_mb} MB "
          f"of memory), {args.runs} starts each, median (min-max):")
    for spec in args.functions:
        name, bootstrap = spec.split("=", 1)
        size = os.path.getsize(bootstrap) / 1e6
        line = []
        cpu = []
        for period_ms in (100, 10):
            # One start first, not counted: it brings the binary into the page cache, as
            # Lambda's own caching of a function's code does for the starts that follow.
            start_once(args.image, bootstrap, port, cpus, period_ms * 1000, args.memory_mb, env)
            runs = [
                start_once(args.image, bootstrap, port, cpus, period_ms * 1000, args.memory_mb, env)
                for _ in range(args.runs)
            ]
            times = [t for t, _ in runs]
            cpu += [c for _, c in runs]
            line.append(f"CFS period {period_ms} ms: {statistics.median(times):.1f} ms "
                        f"({min(times):.1f}-{max(times):.1f})")
        line.insert(0, f"CPU {statistics.median(cpu):.1f} ms ({min(cpu):.1f}-{max(cpu):.1f})")
        print(f"  {name} ({size:.1f} MB binary): " + "; ".join(line), flush=True)


if __name__ == "__main__":
    main()
