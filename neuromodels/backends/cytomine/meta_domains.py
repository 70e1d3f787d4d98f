"""What hangs off any Cytomine object: key-value properties, the description, tags (listed by
name), and parent relations between terms."""

from __future__ import annotations

from typing import Any, Iterator, Mapping, Sequence

from ...connection import Connection
from ...transport import parse_json
from ...core.backend import check_id, check_name, required
from ...core.capabilities import Delete, Update
from ...core.model import Model
from ...core.routes import Route
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
    requests = {"list": Route("GET", "/api/domain/{class}/{domain}/property.json"),
                "create": Route("POST", "/api/domain/{class}/{domain}/property.json"),
                "update": Route("PUT", "/api/domain/{class}/{domain}/property/{id}.json"),
                "delete": Route("DELETE", "/api/domain/{class}/{domain}/property/{id}.json")}
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
        return self.requests["list"].path_for(**{"class": cls, "domain": ident})

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

    def _on(self, model: Property, **more: Any) -> dict[str, Any]:
        """The path values naming the object a property is on."""
        return {"class": model.domain_class, "domain": model.domain_id, **more}

    def create(self, conn: Connection, model: Property, modifiers: Mapping[str, Any]) -> None:
        model.assign(self.send(conn, "create", self._on(model), json=self.to_wire(model), parse=self.read_command))

    def update(self, conn: Connection, model: Property, changes: Mapping[str, Any], modifiers: Mapping[str, Any]) -> None:
        model.assign(self.send(conn, "update", self._on(model, id=self.saved(model)), json=self.to_wire(model),
                               parse=self.read_command))

    def delete(self, conn: Connection, model: Property) -> None:
        self.send(conn, "delete", self._on(model, id=self.saved(model)))


class CytomineDescription(Doc[Description], CommandCreate[Description], Update[Description], Delete[Description]):
    requests = {"read": Route("GET", "/api/domain/{class}/{domain}/description.json", note="Description.of"),
                **{op: Route(method, "/api/domain/{class}/{domain}/description.json")
                   for op, method in (("create", "POST"), ("update", "PUT"), ("delete", "DELETE"))}}
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

    def _on(self, model: Description) -> dict[str, Any]:
        return {"class": model.domain_class, "domain": model.domain_id}

    def read(self, conn: Connection, cls: type, target: Model) -> Description:
        name, ident = domain_of(target)
        path = self.requests["read"].path_for(**{"class": name, "domain": ident})
        return self.fetch_model(conn, path)

    def create(self, conn: Connection, model: Description, modifiers: Mapping[str, Any]) -> None:
        model.assign(self.send(conn, "create", self._on(model), json=self.to_wire(model), parse=self.read_command))

    def update(self, conn: Connection, model: Description, changes: Mapping[str, Any], modifiers: Mapping[str, Any]) -> None:
        model.assign(self.send(conn, "update", self._on(model), json=self.to_wire(model), parse=self.read_command))

    def delete(self, conn: Connection, model: Description) -> None:
        self.send(conn, "delete", self._on(model))


class CytomineTag(Doc[Tag], CommandCRUD[Tag]):
    route = key = "tag"
    model_type = Tag
    routes = {"": "/api/tag.json"}

    def validate(self, model: Tag, operation: str) -> None:
        check_name(model.name, "a tag name")


class CytomineTermRelation(Doc[TermRelation], CommandCreate[TermRelation], CommandList[TermRelation],
                           Delete[TermRelation]):
    requests = {"create": Route("POST", "/api/relation/parent/term.json"),
                "delete": Route("DELETE", "/api/relation/parent/term1/{parent}/term2/{child}.json")}
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
        model.assign(self.send(conn, "create", json=self.to_wire(model),
                               parse=lambda r: self.structure(cv.command_object(parse_json(r), "relationterm"))))

    def pages(self, conn: Connection, modifiers: Mapping[str, Any], limit: int | None,
              **options: Any) -> Iterator[Sequence[TermRelation]]:
        # The server lists every parent relation; the filters are applied here.
        for page in super().pages(conn, {}, None):
            yield [r for r in page if all(getattr(r, k) == v for k, v in modifiers.items())]

    def count(self, conn: Connection, modifiers: Mapping[str, Any]) -> int:
        return sum(len(p) for p in self.pages(conn, modifiers, None))

    def delete(self, conn: Connection, model: TermRelation) -> None:
        self.send_for(conn, "delete", model)


__all__ = ["CLASS_NAME", "CytomineDescription", "CytomineProperty", "CytomineTag", "CytomineTermRelation"]
