# Evidence for a test decision in tests/integration/contract.rs: moto does not serialize
# concurrent TransactWriteItems, so a capped counter can be overrun there (real DynamoDB
# serializes transactions). Run against a moto server on 127.0.0.1:4566:
#   .tools/venv/bin/python tests/moto_txn_probe.py
# Do concurrent conditional transactions on one counter item in moto ever all pass the cap?
import boto3, threading, uuid
ddb = boto3.client("dynamodb", endpoint_url="http://127.0.0.1:4566", region_name="us-east-1",
                   aws_access_key_id="t", aws_secret_access_key="t")
t = "probe-" + uuid.uuid4().hex[:8]
ddb.create_table(TableName=t, BillingMode="PAY_PER_REQUEST",
                 AttributeDefinitions=[{"AttributeName": "PK", "AttributeType": "S"}, {"AttributeName": "SK", "AttributeType": "S"}],
                 KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}])
over = 0
for trial in range(30):
    pk = f"T#{trial}"
    ok = []
    def create(i):
        try:
            ddb.transact_write_items(TransactItems=[
                {"Update": {"TableName": t, "Key": {"PK": {"S": pk}, "SK": {"S": "WHCOUNT"}},
                            "UpdateExpression": "SET c = if_not_exists(c, :z) + :o",
                            "ConditionExpression": "attribute_not_exists(c) OR c < :cap",
                            "ExpressionAttributeValues": {":z": {"N": "0"}, ":o": {"N": "1"}, ":cap": {"N": "3"}}}},
                {"Put": {"TableName": t, "Item": {"PK": {"S": pk}, "SK": {"S": f"WH#{i}"}},
                         "ConditionExpression": "attribute_not_exists(PK)"}}])
            ok.append(i)
        except Exception:
            pass
    th = [threading.Thread(target=create, args=(i,)) for i in range(8)]
    [x.start() for x in th]; [x.join() for x in th]
    if len(ok) != 3:
        over += 1
        print("trial", trial, "succeeded:", len(ok))
print("trials where the cap did not hold:", over, "of 30")
