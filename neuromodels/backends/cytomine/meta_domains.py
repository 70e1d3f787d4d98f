"""What hangs off any Cytomine object: key-value properties, the description, tags (listed by
name), and parent relations between terms."""

from __future__ import annotations

from typing import Any, Iterator, Mapping, Sequence

from ...connection import Connection
from ...transport import parse_json
from ...core.backend import check_id, check_name, required
from ...core.capabilities import Delete, Update
from ...core.model import Model
from . import converter as cv
from .documents import Doc, f
from .domains import CommandCRUD, CommandCreate, CommandList
from .models import Description, Property, Tag, TermRelation
from .wire_domains import CLASS_NAME, domain_of

#: Filters that name the object properties hang off.
_ON = {"project": "be.cytomine.domain.project.Project", "image": "be.cytomine.domain.image.ImageInstance",
       "annotation": "be.cytomine.domain.ontology.UserAnnotation"}


def _check_domain(value: Any) -> None:
    if not (isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str) and isinstance(value[1], int)):
        raise ValueError("domain= is (Cytomine class name, id), e.g. ('be.cytomine.domain.project.Project', 5)")


class CytomineProperty(Doc[Property], CommandCreate[Property], CommandList[Property], Update[Property],
                       Delete[Property]):
    endpoints = {"list": "GET /api/domain/{class}/{id}/property.json", "create": "POST /api/domain/{class}/{id}/property.json",
                 "update": "PUT /api/domain/{class}/{id}/property/{pid}.json",
                 "delete": "DELETE /api/domain/{class}/{id}/property/{pid}.json"}
    route = key = "property"
    model_type = Property
    filters = {"project": f("project", "properties of this project id"), "image": f("image", "of this image instance id"),
               "annotation": f("annotation", "of this annotation id"),
               "domain": f("domain", "(Cytomine class name, id) of any object", (tuple,))}
    not_supported = {"fetch": "list them with PropertyCollection(project=...) (or image=, annotation=, domain=)"}

    def check_modifiers(self, conn: Connection, modifiers: Mapping[str, Any]) -> None:
        super().check_modifiers(conn, modifiers)
        if "domain" in modifiers:
            _check_domain(modifiers["domain"])
        if len(modifiers) != 1:
            raise ValueError("a PropertyCollection needs exactly one of project=, image=, annotation= or domain=")

    def list_path(self, conn: Connection, modifiers: Mapping[str, Any]) -> str:
        ((name, value),) = modifiers.items()
        cls, ident = value if name == "domain" else (_ON[name], value)
        return f"/api/domain/{cls}/{ident}/property.json"

    def list_params(self, conn: Connection, modifiers: Mapping[str, Any]) -> dict[str, Any]:
        return {}

    def validate(self, model: Property, operation: str) -> None:
        check_name(model.key, "a property key")
        if model.value is None or not cv.property_value(model.value).strip():
            raise ValueError(f"property {model.key!r}: Cytomine refuses blank values")
        check_name(model.domain_class, "the class of the object (use Property.on(obj, key, value))")
        check_id(model.domain_id, int, "the object's id")

    def to_wire(self, model: Property) -> dict[str, Any]:
        return cv.property_body(required(model.domain_class, "the object's class"), required(model.domain_id, "the object's id"),
                                required(model.key, "the property key"), model.value, model.id)

    def _base(self, model: Property) -> str:
        return f"/api/domain/{model.domain_class}/{model.domain_id}/property"

    def create(self, conn: Connection, model: Property, modifiers: Mapping[str, Any]) -> None:
        model.assign(conn.transport.request("POST", self._base(model) + ".json", json=self.to_wire(model),
                                            parse=self.read_command))

    def update(self, conn: Connection, model: Property, changes: Mapping[str, Any], modifiers: Mapping[str, Any]) -> None:
        model.assign(conn.transport.request("PUT", f"{self._base(model)}/{self.saved(model)}.json",
                                            json=self.to_wire(model), parse=self.read_command))

    def delete(self, conn: Connection, model: Property) -> None:
        conn.transport.request("DELETE", f"{self._base(model)}/{self.saved(model)}.json")


class CytomineDescription(Doc[Description], CommandCreate[Description], Update[Description], Delete[Description]):
    endpoints = {"fetch": "GET /api/domain/{class}/{id}/description.json (Description.of)",
                 "create": "POST /api/domain/{class}/{id}/description.json",
                 "update": "PUT /api/domain/{class}/{id}/description.json",
                 "delete": "DELETE /api/domain/{class}/{id}/description.json"}
    route = key = "description"
    model_type = Description
    not_supported = {"fetch": "read a description with Description.of(obj)",
                     "list": "each object has one description: Description.of(obj)",
                     "count": "each object has one description: Description.of(obj)"}

    def validate(self, model: Description, operation: str) -> None:
        if not isinstance(model.data, str):
            raise TypeError(f"a description's data is text, not {type(model.data).__name__}")
        check_name(model.domain_class, "the class of the object (use Description.on(obj, text))")
        check_id(model.domain_id, int, "the object's id")

    def _path(self, model: Description) -> str:
        return f"/api/domain/{model.domain_class}/{model.domain_id}/description.json"

    def read(self, conn: Connection, cls: type, target: Model) -> Description:
        name, ident = domain_of(target)
        return self.fetch_model(conn, f"/api/domain/{name}/{ident}/description.json")

    def create(self, conn: Connection, model: Description, modifiers: Mapping[str, Any]) -> None:
        model.assign(conn.transport.request("POST", self._path(model), json=self.to_wire(model), parse=self.read_command))

    def update(self, conn: Connection, model: Description, changes: Mapping[str, Any], modifiers: Mapping[str, Any]) -> None:
        model.assign(conn.transport.request("PUT", self._path(model), json=self.to_wire(model), parse=self.read_command))

    def delete(self, conn: Connection, model: Description) -> None:
        conn.transport.request("DELETE", self._path(model))


class CytomineTag(Doc[Tag], CommandCRUD[Tag]):
    endpoints = {"fetch": "GET /api/tag/{id}.json", "list": "GET /api/tag.json", "create": "POST /api/tag.json",
                 "update": "PUT /api/tag/{id}.json", "delete": "DELETE /api/tag/{id}.json (and its associations)"}
    route = key = "tag"
    model_type = Tag
    routes = {"": "/api/tag.json"}

    def validate(self, model: Tag, operation: str) -> None:
        check_name(model.name, "a tag name")


class CytomineTermRelation(Doc[TermRelation], CommandCreate[TermRelation], CommandList[TermRelation],
                           Delete[TermRelation]):
    endpoints = {"list": "GET /api/relation/parent/term.json", "create": "POST /api/relation/parent/term.json",
                 "delete": "DELETE /api/relation/parent/term1/{parent}/term2/{child}.json"}
    route = key = "relationterm"
    model_type = TermRelation
    routes = {"": "/api/relation/parent/term.json"}
    filters = {"parent": f("parent", "relations from this parent term id"),
               "child": f("child", "relations to this child term id")}
    not_supported = {"fetch": "list them with TermRelationCollection(parent=...) or (child=...)",
                     "update": "a relation ties two terms: delete it and add another"}

    def validate(self, model: TermRelation, operation: str) -> None:
        check_id(model.parent, int, "parent term id")
        check_id(model.child, int, "child term id")

    def create(self, conn: Connection, model: TermRelation, modifiers: Mapping[str, Any]) -> None:
        model.assign(conn.transport.request("POST", "/api/relation/parent/term.json", json=self.to_wire(model),
                                            parse=lambda r: self.structure(cv.command_object(parse_json(r), "relationterm"))))

    def pages(self, conn: Connection, modifiers: Mapping[str, Any], limit: int | None,
              **options: Any) -> Iterator[Sequence[TermRelation]]:
        # The server lists every parent relation; the filters are applied here.
        for page in super().pages(conn, {}, None):
            yield [r for r in page if all(getattr(r, k) == v for k, v in modifiers.items())]

    def count(self, conn: Connection, modifiers: Mapping[str, Any]) -> int:
        return sum(len(p) for p in self.pages(conn, modifiers, None))

    def delete(self, conn: Connection, model: TermRelation) -> None:
        conn.transport.request("DELETE", f"/api/relation/parent/term1/{model.parent}/term2/{model.child}.json")


__all__ = ["CLASS_NAME", "CytomineDescription", "CytomineProperty", "CytomineTag", "CytomineTermRelation"]
