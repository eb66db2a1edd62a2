import pytest

from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.errors import (
    error_from_response, message_from_body)
from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import (
    AgentError, AuthError, EndpointMissingError, NotFoundError)

EXPRESS_404 = ('<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Error</title>\n'
               '</head>\n<body>\n<pre>Cannot GET /machines</pre>\n</body>\n</html>\n')


@pytest.mark.parametrize("body,text", [
    ({"msg": "Invalid API key"}, "Invalid API key"),
    ({"error": "Zone not found"}, "Zone not found"),
    ({"success": False, "error": "Failed", "timestamp": "x"}, "Failed"),
    ({"hostname": "must be a hostname", "cpu": "too many"}, "cpu: too many; hostname: must be a hostname"),
    (EXPRESS_404, "Cannot GET /machines"),
])
def test_message_from_every_shape(body, text):
    assert message_from_body(body) == text


def test_missing_key_is_auth_error_with_hint():
    err = error_from_response("GET", "/machines", 401, {"msg": "API key required - provide either X-API-Key"}, False)
    assert isinstance(err, AuthError) and err.status == 401
    assert "api_key" in str(err)


def test_wrong_key_says_so():
    err = error_from_response("GET", "/machines", 403, {"msg": "Invalid API key"}, False)
    assert isinstance(err, AuthError)
    assert "wrong or revoked" in str(err)


def test_role_error_names_roles():
    err = error_from_response("POST", "/api-keys/generate", 403,
                              {"msg": "Insufficient role: this operation requires 'admin' (key role: 'viewer')"}, False)
    assert "viewer < operator < admin" in str(err)


def test_html_404_means_endpoint_missing():
    err = error_from_response("GET", "/machines", 404, EXPRESS_404, True)
    assert isinstance(err, EndpointMissingError)
    assert "generation" in str(err)


def test_json_404_is_object_not_found():
    err = error_from_response("GET", "/machines/x", 404, {"error": "Zone not found"}, False)
    assert isinstance(err, NotFoundError) and "Zone not found" in str(err)


def test_other_errors_keep_details_and_hint():
    err = error_from_response("POST", "/machines", 400, {"error": "Missing server_id", "hint": "Use GET /machines/ids"},
                              False)
    assert isinstance(err, AgentError) and err.status == 400
    assert "Use GET /machines/ids" in str(err)
    assert err.to_result()["status"] == 400
