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
- DynamoDB storage: the bytes billed per month for the items written since the last reset, as
  they are now (item size plus AWS's 100 bytes of overhead per item, for the table and for
  each index the item is in).

It also injects faults, for the fault tests (tests/integration/aws_faults.rs): with
`POST /_faults {"rate": 0.05, "seed": 7}` that share of data-plane calls fails, each in one of
the ways AWS fails them (see `inject`): a throttling error, a 500, a call carried out whose
answer is lost (the connection drops after the call reached the service), a partial batch
(failed entries in SendMessageBatch and DeleteMessageBatch, unprocessed keys in BatchGetItem
and unprocessed writes in BatchWriteItem),
a cancelled transaction. `GET /_faults` counts what was injected, by kind. With
`POST /_faults {"always": "SendMessageBatch", "kind": "throttle"}` every call of that operation
fails that way instead (a service that keeps refusing one call), until the next `POST /_faults`;
with `{"once": "PutItem", "kind": "lost_answer"}` only the next call of it does.

  python cost_proxy.py --upstream http://127.0.0.1:5000   -> prints "port <n>"
  GET  /_costs  -> {"calls": {"DynamoDB.PutItem": n, ...}, "wru": x, "rru": y, "sqs_requests": z,
                    "stored_bytes": b, "items_written": i, "largest_item": bytes}
  POST /_reset  -> zeroes the counts (the item sizes are kept)
"""

import json
import math
import random
import sys
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
TABLES = {}   # table -> {"keys": [pk, sk], "indexes": [(attrs, projection, included)]}
SIZES = {}    # (table, key json) -> item size in bytes
STORED = {}   # (table, key json) -> bytes billed as storage (table and indexes)
TOUCHED = set()  # keys written since the last reset
LARGEST = {"bytes": 0, "table": None}  # the largest item written since the last reset
COUNTS = {"calls": {}, "wru": 0.0, "rru": 0.0, "sqs_requests": 0, "wru_by_call": {}}
UPSTREAM = None
FAULTS = {"rate": 0.0, "rng": random.Random(0), "injected": {}, "always": None, "once": None}
# Calls that set things up rather than serve requests: never failed.
CONTROL = {"CreateTable", "DescribeTable", "UpdateTimeToLive", "CreateQueue", "GetQueueUrl",
           "GetQueueAttributes", "SetQueueAttributes", "ListTables", "ListQueues"}


def value_size(v):
    (kind, x), = v.items()
    if kind == "S":
        return len(x.encode())
    if kind == "N":
        digits = len(x.lstrip("-").replace(".", "").lstrip("0")) or 1
        return math.ceil(digits / 2) + 1
    if kind == "B":
        # Base64 on the wire: its padding is not data.
        return len(x) * 3 // 4 - len(x) + len(x.rstrip("="))
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


def projections(table, item, size):
    """The sizes of an item of `size` bytes in each global secondary index it is in."""
    keys = TABLES.get(table, {}).get("keys", ["PK", "SK"])
    out = []
    for attrs, projection, included in TABLES.get(table, {}).get("indexes", []):
        if not all(a in item for a in attrs):
            continue
        if projection == "ALL":
            out.append(size)
        else:
            names = set(attrs) | set(keys) | (set(included) if projection == "INCLUDE" else set())
            out.append(sum(len(k.encode()) + value_size(v) for k, v in item.items() if k in names))
    return out


def write_units(table, item, size=None):
    """Table and index write units for an item of `size` bytes (its own size by default)."""
    size = item_size(item) if size is None else size
    units = math.ceil(max(size, 1) / 1024)
    for projected in projections(table, item, size):
        units += math.ceil(max(projected, 1) / 1024)
    return units


def stored(table, item, size):
    """Records what an item written now costs to keep (caller holds LOCK)."""
    k = key_of(table, item)
    STORED[k] = sum(s + 100 for s in [size] + projections(table, item, size))
    TOUCHED.add(k)
    if size > LARGEST["bytes"]:
        LARGEST.update(bytes=size, table=table)


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
        stored(table, item, item_size(item))
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
        stored(table, key, size)
    return write_units(table, key, size)


def delete(table, key):
    with LOCK:
        size = SIZES.pop(key_of(table, key), item_size(key))
        STORED.pop(key_of(table, key), None)
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


def error_body(service, code, message):
    prefix = "com.amazonaws.dynamodb.v20120810#" if service == "DynamoDB" else "com.amazonaws.sqs#"
    return json.dumps({"__type": prefix + code, "message": message}).encode()


def pick_fault(service, op):
    """The fault to inject into this call, or None."""
    with LOCK:
        rng = FAULTS["rng"]
        always, once = FAULTS["always"], FAULTS["once"]
        if once is not None and once[0] == op:
            FAULTS["once"] = None
            kind = once[1]
        elif always is not None and always[0] == op:
            kind = always[1]
        else:
            kind = random_fault(op, rng)
        if kind is None:
            return None
        FAULTS["injected"][kind] = FAULTS["injected"].get(kind, 0) + 1
        return kind, random.Random(rng.random())


def random_fault(op, rng):
    """The kind of fault the share set by `rate` gives this call, or None (under LOCK)."""
    if op in CONTROL or FAULTS["rate"] <= 0:
        return None
    kinds = ["throttle", "500", "lost_answer"]
    if op in ("SendMessageBatch", "DeleteMessageBatch", "BatchGetItem", "BatchWriteItem"):
        kinds = ["partial"] * 3 + kinds
    if op == "TransactWriteItems":
        kinds = ["cancelled"] * 3 + kinds
    # Each kind the first time a call can take it, so that a run tries every kind even when
    # few calls can take one (transactions, batches); then the given share of calls.
    untried = [k for k in kinds if k not in FAULTS["injected"]]
    if untried:
        return untried[0]
    if rng.random() < FAULTS["rate"]:
        return rng.choice(kinds)
    return None


def partial(service, op, req, rng):
    """Splits a batch call: the request to forward (a part of it, or None), and how to build
    the answer from upstream's."""
    if op in ("SendMessageBatch", "DeleteMessageBatch"):
        entries = req.get("Entries", [])
        failed = [e for e in entries if rng.random() < 0.5] or entries[:1]
        kept = [e for e in entries if e not in failed]

        def answer(upstream):
            out = dict(upstream or {"Successful": []})
            out["Failed"] = [{"Id": e["Id"], "SenderFault": False, "Code": "InternalError",
                              "Message": "injected partial failure"} for e in failed]
            return out
        return (dict(req, Entries=kept) if kept else None), answer
    if op == "BatchWriteItem":
        # Some writes come back unprocessed (as DynamoDB does when throttled): not made.
        forward, unprocessed = {}, {}
        for table, writes in req.get("RequestItems", {}).items():
            held = [w for w in writes if rng.random() < 0.5] or writes[:1]
            rest = [w for w in writes if w not in held]
            unprocessed[table] = held
            if rest:
                forward[table] = rest

        def answer(upstream):
            out = dict(upstream or {})
            out["UnprocessedItems"] = unprocessed
            return out
        return ({"RequestItems": forward} if forward else None), answer
    # BatchGetItem: some keys come back unprocessed.
    forward, unprocessed = {}, {}
    for table, ka in req.get("RequestItems", {}).items():
        keys = ka.get("Keys", [])
        held = [k for k in keys if rng.random() < 0.5] or keys[:1]
        rest = [k for k in keys if k not in held]
        unprocessed[table] = dict(ka, Keys=held)
        if rest:
            forward[table] = dict(ka, Keys=rest)

    def answer(upstream):
        out = dict(upstream or {"Responses": {t: [] for t in unprocessed}})
        out["UnprocessedKeys"] = unprocessed
        return out
    return ({"RequestItems": forward} if forward else None), answer


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
                live = [k for k in TOUCHED if k in STORED]
                answer = dict(COUNTS, stored_bytes=sum(STORED[k] for k in live),
                              items_written=len(live), largest_item=LARGEST["bytes"])
                data = json.dumps(answer).encode()
            return self.reply(200, [("content-type", "application/json")], data)
        if self.path == "/_faults":
            with LOCK:
                data = json.dumps({"rate": FAULTS["rate"], "injected": FAULTS["injected"]}).encode()
            return self.reply(200, [("content-type", "application/json")], data)
        self.forward(b"")

    def do_POST(self):
        n = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(n) if n else b""
        if self.path == "/_reset":
            with LOCK:
                COUNTS.update({"calls": {}, "wru": 0.0, "rru": 0.0, "sqs_requests": 0,
                               "wru_by_call": {}})
                TOUCHED.clear()
                LARGEST.update(bytes=0, table=None)
            return self.reply(200, [], b"{}")
        if self.path == "/_faults":
            conf = json.loads(body or b"{}")
            with LOCK:
                kind = conf.get("kind", "throttle")
                always = (conf["always"], kind) if conf.get("always") else None
                once = (conf["once"], kind) if conf.get("once") else None
                FAULTS.update({"rate": float(conf.get("rate", 0)),
                               "rng": random.Random(conf.get("seed", 0)), "injected": {},
                               "always": always, "once": once})
            return self.reply(200, [], b"{}")
        self.forward(body)

    def upstream(self, body):
        req = urllib.request.Request(UPSTREAM + self.path, data=body or None, method=self.command)
        for k, v in self.headers.items():
            if k.lower() not in ("host", "content-length", "connection"):
                req.add_header(k, v)
        try:
            with urllib.request.urlopen(req, timeout=60) as res:
                return res.status, list(res.headers.items()), res.read()
        except urllib.error.HTTPError as e:
            return e.code, list(e.headers.items()), e.read()

    def forward(self, body):
        target = self.headers.get("x-amz-target", "")
        service, _, op = target.partition(".")
        service = "DynamoDB" if service.startswith("DynamoDB_") else "SQS"
        fault = pick_fault(service, op) if target else None
        if fault is not None:
            return self.inject(service, op, body, *fault)
        status, headers, data = self.upstream(body)
        self.count(target, body, status, data)
        self.reply(status, headers, data)

    def count(self, target, body, status, data):
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

    def inject(self, service, op, body, kind, rng):
        json_type = [("content-type", "application/x-amz-json-1.0")]
        if kind == "throttle":
            code = "ThrottlingException"
            return self.reply(400, json_type, error_body(service, code, "injected: slow down"))
        if kind == "500":
            code = "InternalServerError" if service == "DynamoDB" else "InternalError"
            return self.reply(500, json_type, error_body(service, code, "injected"))
        if kind == "lost_answer":
            # The call reaches the service and takes effect; its answer never arrives.
            self.upstream(body)
            self.close_connection = True
            return None
        if kind == "cancelled":
            items = json.loads(body or b"{}").get("TransactItems", [])
            reasons = [{"Code": "None"} for _ in items]
            if reasons:
                reasons[rng.randrange(len(reasons))] = {"Code": "TransactionConflict",
                                                        "Message": "injected"}
            data = json.loads(error_body(service, "TransactionCanceledException",
                                         "Transaction cancelled (injected)"))
            data["CancellationReasons"] = reasons
            return self.reply(400, json_type, json.dumps(data).encode())
        # A partial batch: forward part of it, report the rest as failed or unprocessed.
        req = json.loads(body or b"{}")
        forwarded, answer = partial(service, op, req, rng)
        upstream = None
        if forwarded is not None:
            status, headers, data = self.upstream(json.dumps(forwarded).encode())
            if status != 200:
                return self.reply(status, headers, data)
            upstream = json.loads(data or b"{}")
        return self.reply(200, json_type, json.dumps(answer(upstream)).encode())


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
