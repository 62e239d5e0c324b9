"""A counting proxy in front of moto, for the cost benchmark (tests/bench/cost.rs).

Every DynamoDB and SQS call passes through it unchanged; it counts the calls and what AWS would
bill for them, computed from the items themselves (moto's own ConsumedCapacity is not AWS's):
- DynamoDB writes: ceil(item size / 1 KB) write units for the table, plus the same for each
  global secondary index whose key attributes the item has (the projected size: the whole item
  for ALL, the keys for KEYS_ONLY, keys and listed attributes for INCLUDE); transactions twice
  that; an update is billed on the item as it ends up, a delete on the item as it was. The
  proxy keeps the size of every item it saw written to know the latter.
- DynamoDB reads: ceil(size / 4 KB) read units per item read (GetItem, BatchGetItem) or per
  query page (the sum of its items), half for eventually consistent reads (every index read).
- SQS: one request per call and per started 64 KB of its payload.

  python cost_proxy.py --upstream http://127.0.0.1:5000   -> prints "port <n>"
  GET  /_costs  -> {"calls": {"DynamoDB.PutItem": n, ...}, "wru": x, "rru": y, "sqs_requests": z}
  POST /_reset  -> zeroes the counts (the item sizes are kept)
"""

import json
import math
import sys
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
TABLES = {}   # table -> {"keys": [pk, sk], "indexes": [(attrs, projection, included)]}
SIZES = {}    # (table, key json) -> item size in bytes
COUNTS = {"calls": {}, "wru": 0.0, "rru": 0.0, "sqs_requests": 0, "wru_by_call": {}}
UPSTREAM = None


def value_size(v):
    (kind, x), = v.items()
    if kind == "S":
        return len(x.encode())
    if kind == "N":
        digits = len(x.lstrip("-").replace(".", "").lstrip("0")) or 1
        return math.ceil(digits / 2) + 1
    if kind == "B":
        return len(x) * 3 // 4
    if kind in ("BOOL", "NULL"):
        return 1
    if kind in ("SS", "NS", "BS"):
        return sum(value_size({kind[0]: e}) for e in x)
    if kind == "M":
        return 3 + sum(len(k.encode()) + value_size(e) + 1 for k, e in x.items())
    if kind == "L":
        return 3 + sum(value_size(e) + 1 for e in x)
    return 0


def item_size(item):
    return sum(len(k.encode()) + value_size(v) for k, v in item.items())


def key_of(table, item):
    keys = TABLES.get(table, {}).get("keys", ["PK", "SK"])
    return table, json.dumps({k: item.get(k) for k in keys}, sort_keys=True)


def write_units(table, item, size=None):
    """Table and index write units for an item of `size` bytes (its own size by default)."""
    size = item_size(item) if size is None else size
    units = math.ceil(max(size, 1) / 1024)
    keys = TABLES.get(table, {}).get("keys", ["PK", "SK"])
    for attrs, projection, included in TABLES.get(table, {}).get("indexes", []):
        if not all(a in item for a in attrs):
            continue
        if projection == "ALL":
            projected = size
        else:
            names = set(attrs) | set(keys) | (set(included) if projection == "INCLUDE" else set())
            projected = sum(len(k.encode()) + value_size(v) for k, v in item.items() if k in names)
        units += math.ceil(max(projected, 1) / 1024)
    return units


def count(op, wru=0.0, rru=0.0, sqs=0):
    with LOCK:
        COUNTS["calls"][op] = COUNTS["calls"].get(op, 0) + 1
        COUNTS["wru"] += wru
        if wru:
            COUNTS["wru_by_call"][op] = COUNTS["wru_by_call"].get(op, 0) + wru
        COUNTS["rru"] += rru
        COUNTS["sqs_requests"] += sqs


def read_units(size, consistent):
    units = math.ceil(max(size, 1) / 4096)
    return units if consistent else units / 2


def put(table, item):
    with LOCK:
        SIZES[key_of(table, item)] = item_size(item)
    return write_units(table, item)


def update(table, key, request):
    # The item as it ends up: what was there, plus what the update sets (approximated by the
    # sizes of its values and names).
    added = sum(value_size(v) for v in request.get("ExpressionAttributeValues", {}).values())
    added += sum(len(n.encode()) for n in request.get("ExpressionAttributeNames", {}).values())
    with LOCK:
        k = key_of(table, key)
        size = max(SIZES.get(k, 0), item_size(key) + added)
        SIZES[k] = size
    return write_units(table, key, size)


def delete(table, key):
    with LOCK:
        size = SIZES.pop(key_of(table, key), item_size(key))
    return write_units(table, key, size)


def dynamo(op, req, resp):
    table = req.get("TableName")
    if op == "CreateTable":
        keys = [k["AttributeName"] for k in req["KeySchema"]]
        indexes = [([k["AttributeName"] for k in g["KeySchema"]], g["Projection"]["ProjectionType"],
                    g["Projection"].get("NonKeyAttributes", []))
                   for g in req.get("GlobalSecondaryIndexes", [])]
        TABLES[table] = {"keys": keys, "indexes": indexes}
        return count("DynamoDB." + op)
    if op == "PutItem":
        return count("DynamoDB." + op, wru=put(table, req["Item"]))
    if op == "UpdateItem":
        return count("DynamoDB." + op, wru=update(table, req["Key"], req))
    if op == "DeleteItem":
        return count("DynamoDB." + op, wru=delete(table, req["Key"]))
    if op == "TransactWriteItems":
        wru = 0
        for t in req["TransactItems"]:
            (kind, body), = t.items()
            if kind == "Put":
                wru += 2 * put(body["TableName"], body["Item"])
            elif kind == "Update":
                wru += 2 * update(body["TableName"], body["Key"], body)
            elif kind == "Delete":
                wru += 2 * delete(body["TableName"], body["Key"])
            else:
                wru += 2 * math.ceil(max(item_size(body["Key"]), 1) / 1024)
        return count("DynamoDB." + op, wru=wru)
    if op == "BatchWriteItem":
        wru = 0
        for t, writes in req["RequestItems"].items():
            for w in writes:
                if "PutRequest" in w:
                    wru += put(t, w["PutRequest"]["Item"])
                else:
                    wru += delete(t, w["DeleteRequest"]["Key"])
        return count("DynamoDB." + op, wru=wru)
    if op == "GetItem":
        size = item_size(resp.get("Item", {}))
        return count("DynamoDB." + op, rru=read_units(size, req.get("ConsistentRead", False)))
    if op == "BatchGetItem":
        rru = 0
        for t, items in resp.get("Responses", {}).items():
            consistent = req["RequestItems"].get(t, {}).get("ConsistentRead", False)
            rru += sum(read_units(item_size(i), consistent) for i in items)
        return count("DynamoDB." + op, rru=rru)
    if op in ("Query", "Scan"):
        size = sum(item_size(i) for i in resp.get("Items", []))
        consistent = req.get("ConsistentRead", False) and "IndexName" not in req
        return count("DynamoDB." + op, rru=read_units(size, consistent))
    return count("DynamoDB." + op)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out as two writes: with Nagle's algorithm on, the body waits for the
    # client's delayed ACK (40 ms on Linux), which would add that to every call's time, and so
    # to the Lambda time the benchmark measures.
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def reply(self, status, headers, data):
        self.send_response(status)
        for k, v in headers:
            if k.lower() not in ("content-length", "transfer-encoding", "connection"):
                self.send_header(k, v)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/_costs":
            with LOCK:
                data = json.dumps(COUNTS).encode()
            return self.reply(200, [("content-type", "application/json")], data)
        self.forward(b"")

    def do_POST(self):
        n = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(n) if n else b""
        if self.path == "/_reset":
            with LOCK:
                COUNTS.update({"calls": {}, "wru": 0.0, "rru": 0.0, "sqs_requests": 0,
                               "wru_by_call": {}})
            return self.reply(200, [], b"{}")
        self.forward(body)

    def forward(self, body):
        req = urllib.request.Request(UPSTREAM + self.path, data=body or None, method=self.command)
        for k, v in self.headers.items():
            if k.lower() not in ("host", "content-length", "connection"):
                req.add_header(k, v)
        try:
            with urllib.request.urlopen(req, timeout=60) as res:
                status, headers, data = res.status, list(res.headers.items()), res.read()
        except urllib.error.HTTPError as e:
            status, headers, data = e.code, list(e.headers.items()), e.read()
        target = self.headers.get("x-amz-target", "")
        try:
            if target.startswith("DynamoDB_"):
                if status == 200:
                    dynamo(target.split(".", 1)[1], json.loads(body or b"{}"), json.loads(data or b"{}"))
            elif target.startswith("AmazonSQS."):
                count("SQS." + target.split(".", 1)[1], sqs=max(1, math.ceil(len(body) / 65536)))
            elif b"Action=" in body:
                action = body.split(b"Action=", 1)[1].split(b"&", 1)[0].decode()
                count("SQS." + action, sqs=max(1, math.ceil(len(body) / 65536)))
        except Exception as e:  # a miscount must not break the run: say so
            print(f"cost proxy could not count {target}: {e!r}", file=sys.stderr, flush=True)
        self.reply(status, headers, data)


def main():
    global UPSTREAM
    for arg in sys.argv[1:]:
        if arg.startswith("--upstream="):
            UPSTREAM = arg.split("=", 1)[1].rstrip("/")
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(f"port {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
