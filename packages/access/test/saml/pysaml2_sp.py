"""A pysaml2 service provider driven by Keyway's SAML tests.

Run with Debian's /usr/bin/python3 (python3-pysaml2). Reads one JSON object on stdin and
prints one JSON object on stdout:

  {"command": "request", "metadata": PATH, "entityId": SP, "acsUrl": URL,
   "binding": "redirect" | "post", "relayState": STR}
    -> {"id": ..., "samlRequest": ..., "relayState": ...}

  {"command": "verify", "metadata": PATH, "entityId": SP, "acsUrl": URL,
   "samlResponse": B64, "requestId": ID or null (unsolicited),
   "wantResponseSigned": bool, "wantAssertionsSigned": bool}
    -> {"ok": true, "nameId": ..., "issuer": ..., "inResponseTo": ..., "ava": {...}}
    or {"ok": false, "error": "ExceptionType: message"}
"""

import base64
import json
import sys
from urllib.parse import parse_qs, urlparse

from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.client import Saml2Client
from saml2.config import SPConfig


def make_client(args, unsolicited=False):
    config = SPConfig().load({
        "entityid": args["entityId"],
        "xmlsec_binary": "/usr/bin/xmlsec1",
        "metadata": {"local": [args["metadata"]]},
        "allow_unknown_attributes": True,
        "service": {
            "sp": {
                "endpoints": {
                    "assertion_consumer_service": [(args["acsUrl"], BINDING_HTTP_POST)],
                },
                "want_response_signed": args.get("wantResponseSigned", True),
                "want_assertions_signed": args.get("wantAssertionsSigned", True),
                "allow_unsolicited": unsolicited,
                "authn_requests_signed": False,
            },
        },
    })
    return Saml2Client(config=config)


def idp_entity_id(client):
    return next(iter(client.metadata.identity_providers()))


def request(args):
    client = make_client(args)
    idp = idp_entity_id(client)
    if args["binding"] == "redirect":
        request_id, info = client.prepare_for_authenticate(
            entityid=idp, relay_state=args["relayState"], binding=BINDING_HTTP_REDIRECT)
        location = dict(info["headers"])["Location"]
        query = parse_qs(urlparse(location).query)
        return {"id": request_id, "samlRequest": query["SAMLRequest"][0],
                "relayState": query["RelayState"][0]}
    destination = client.metadata.single_sign_on_service(idp, BINDING_HTTP_POST)[0]["location"]
    request_id, message = client.create_authn_request(destination, binding=BINDING_HTTP_POST)
    encoded = base64.b64encode(str(message).encode("utf-8")).decode("ascii")
    return {"id": request_id, "samlRequest": encoded, "relayState": args["relayState"]}


def verify(args):
    request_id = args.get("requestId")
    client = make_client(args, unsolicited=request_id is None)
    outstanding = {} if request_id is None else {request_id: args["acsUrl"]}
    try:
        response = client.parse_authn_request_response(
            args["samlResponse"], BINDING_HTTP_POST, outstanding=outstanding)
    except Exception as err:  # every rejection is a result the test asserts on
        return {"ok": False, "error": f"{type(err).__name__}: {err}"}
    if response is None:
        return {"ok": False, "error": "NoResponse: parse_authn_request_response returned None"}
    if response.name_id is None:
        # pysaml2 drops an assertion it finds unfit (its audience, its recipient) and keeps
        # the bare response: nothing was accepted.
        return {"ok": False, "error": "NoAssertion: the response carries no accepted assertion"}
    return {
        "ok": True,
        "nameId": response.name_id.text,
        "issuer": response.issuer(),
        "inResponseTo": response.in_response_to,
        "ava": response.ava,
    }


def main():
    args = json.load(sys.stdin)
    commands = {"request": request, "verify": verify}
    print(json.dumps(commands[args["command"]](args)))


if __name__ == "__main__":
    main()
