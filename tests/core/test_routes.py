"""Routes: a request declared once, filled and checked before it is sent."""

import pytest

from neuromodels.core.routes import Route


def test_a_route_fills_its_placeholders_as_path_segments():
    route = Route("DELETE", "/api/domain/{class}/{domain}/property/{id}.json")
    assert route.placeholders == ("class", "domain", "id")
    assert route.path_for(**{"class": "be.cytomine.Project", "domain": 5, "id": 9}) == \
        "/api/domain/be.cytomine.Project/5/property/9.json"
    # a value cannot reach another path: slashes are quoted, dot segments refused
    assert route.path_for(**{"class": "../admin", "domain": 5, "id": "1/2"}) == \
        "/api/domain/..%2Fadmin/5/property/1%2F2.json"
    with pytest.raises(ValueError, match="cannot be a name"):
        route.path_for(**{"class": "..", "domain": 5, "id": 1})


def test_a_missing_value_is_an_error_before_any_request():
    with pytest.raises(ValueError, match="needs id"):
        Route("GET", "/api/term/{id}.json").path_for(id=None)


@pytest.mark.parametrize("method,path", [("FETCH", "/x"), ("GET", "x/{id}")])
def test_a_route_is_checked_when_declared(method, path):
    with pytest.raises(ValueError):
        Route(method, path)


def test_the_docs_print_the_declared_route():
    assert str(Route("PUT", "/api/term/{id}.json", note="the whole object")) == "PUT /api/term/{id}.json (the whole object)"


def test_a_list_fills_its_placeholder_as_quoted_items_joined_by_commas():
    route = Route("GET", "/v2/json-annotations/{dataset}/neurons/id-number/{ids}")
    assert route.path_for(dataset="VNC#x", ids=[1, 2, 3]) == "/v2/json-annotations/VNC%23x/neurons/id-number/1,2,3"
    assert route.path_for(dataset="VNC", ids=["a/b", "c"]) == "/v2/json-annotations/VNC/neurons/id-number/a%2Fb,c"
