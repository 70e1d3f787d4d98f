"""Writing: one contract for a single model and for a batch.

``Model.save()`` is a batch of one: it goes through :func:`save_batch` exactly as
``Collection.save()`` does, so both keep the same rules, written here once:

* what the backend cannot do, and bad input, are refused before anything is sent;
* a model whose create or update was sent but whose reply was lost (or could not be read)
  becomes :attr:`SaveState.UNKNOWN`; the next ``save()`` settles it by looking on the server
  before anything is resent — stored: adopted; certainly absent: sent again; cannot tell: left
  unknown, never resent;
* a delete whose reply was lost becomes :attr:`SaveState.DELETING`; the next ``delete()`` sends it
  again and counts "not found" as done;
* Ctrl-C: what was never sent stays as it was (for the next call), everything else is recorded,
  then ``KeyboardInterrupt`` is raised carrying the :class:`WriteReport`.

A batch raises :class:`PartialSaveError` listing what was saved, failed and unknown; a single
model raises the one error its batch recorded (``outcome_unknown`` set where the write may have
been stored).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import attrs

from . import operations
from .backend import check_id
from .capabilities import Create, Delete, Settle, Settlement, Update
from .state import Found, SaveState
from .errors import (NeuromodelsError, NotFound, NotSent, OutcomeUnknown, PartialSaveError, ProtocolError,
                     ServerUnavailable, WrongServer)

if TYPE_CHECKING:
    from .capabilities import Resource
    from ..connection import Connection
    from .model import Model

log = logging.getLogger("neuromodels")


def outcome_unknown(error: BaseException) -> bool:
    """True when a write was sent but its reply lost or unreadable, so it may or may not be
    stored. A :class:`ProtocolError` is an answer that could not be read — wherever it was
    raised, in the transport or in a backend reading the reply — so the write may have landed
    (a server of another kind, :class:`WrongServer`, stored nothing)."""
    if not isinstance(error, NeuromodelsError):
        return False
    if isinstance(error, ProtocolError) and not isinstance(error, WrongServer):
        return True
    return error.outcome_unknown or (isinstance(error, ServerUnavailable) and error.sent)


@attrs.define(eq=False)
class WriteReport:
    """What one ``save()`` or ``delete()`` did, item by item (``collection.last_report``, and
    ``.report`` on the ``KeyboardInterrupt`` of an interrupted call).

    ``done`` (also ``saved`` / ``deleted``): written by this call; ``failed``: ``(model, error)``
    pairs certainly not written; ``unknown``: models sent whose reply was lost (the next call
    settles them; ``unknown_errors`` says why, in the same order); ``not_sent``: models Ctrl-C kept
    from being sent (left as they were); ``interrupted``: Ctrl-C stopped the call.
    """

    operation: str
    done: list[Any] = attrs.Factory(list)
    failed: list[tuple[Any, BaseException]] = attrs.Factory(list)
    unknown: list[Any] = attrs.Factory(list)
    unknown_errors: list[BaseException] = attrs.Factory(list)
    not_sent: list[Any] = attrs.Factory(list)
    interrupted: bool = False

    @property
    def saved(self) -> list[Any]:
        return self.done

    @property
    def deleted(self) -> list[Any]:
        return self.done

    @property
    def complete(self) -> bool:
        return not (self.failed or self.unknown or self.not_sent)

    def add_unknown(self, model: Any, error: BaseException) -> None:
        self.unknown.append(model)
        self.unknown_errors.append(error)

    def summary(self) -> str:
        verb = "deleted" if self.operation == "delete" else "saved"
        parts = [f"{len(self.done)} {verb}", f"{len(self.failed)} failed"]
        if self.unknown:
            parts.append(f"{len(self.unknown)} unknown (sent, reply lost; not resent to avoid duplicates)")
        if self.not_sent:
            parts.append(f"{len(self.not_sent)} not sent (interrupted)")
        text = ", ".join(parts)
        if self.failed:
            text += f"; first error: {self.failed[0][1]}"
        reasons = sorted({str(e) for e in self.unknown_errors if isinstance(e, OutcomeUnknown)})
        if reasons:
            text += f"; why unknown: {reasons[:3]}"
        return text

    __str__ = summary

    def raise_for_batch(self) -> None:
        """:class:`PartialSaveError` unless every item was written."""
        if self.failed or self.unknown:
            raise PartialSaveError(self.summary(), saved=list(self.done), failed=list(self.failed),
                                   unknown=list(self.unknown), report=self)

    def raise_for_one(self) -> None:
        """The one error a batch of one recorded, if any."""
        for _, error in self.failed:
            raise error
        for error in self.unknown_errors:
            if isinstance(error, NeuromodelsError):
                error.outcome_unknown = True
            raise error


def interrupted(report: WriteReport) -> KeyboardInterrupt:
    """The ``KeyboardInterrupt`` of an interrupted write, carrying its report (``.report``)."""
    report.interrupted = True
    stop = KeyboardInterrupt()
    stop.report = report  # type: ignore[attr-defined]
    if hasattr(stop, "add_note"):  # Python 3.11+: shown under the traceback
        stop.add_note(f"neuromodels: {report.summary()}; save() again finishes the job without storing "
                      "anything twice (the report: collection.last_report)")
    return stop


def _record(conn: "Connection", report: WriteReport, models: Sequence[Any],
            errors: Sequence[BaseException | None]) -> None:
    """Each model's state after a create or update round."""
    for model, error in zip(models, errors):
        if error is None:
            model.mark_clean()
            model.bind(conn)
            report.done.append(model)
        elif isinstance(error, NotSent):
            report.not_sent.append(model)  # never sent: left as it was, for the next save()
        elif outcome_unknown(error):
            model.set_state(SaveState.UNKNOWN)
            report.add_unknown(model, error)
        else:
            report.failed.append((model, error))


def save_batch(conn: "Connection", resource: "Resource[Any]", models: Sequence["Model"],
               modifiers: Mapping[str, Any], *, explicit: bool) -> WriteReport:
    """Create the new models, update the changed ones and settle the unknown ones.

    ``explicit``: the caller named the connection (a model may then be written to another
    server than the one it came from). Raises before any request on what cannot be sent;
    returns the report (Ctrl-C raises ``KeyboardInterrupt`` carrying it).
    """
    if modifiers:
        resource.check_modifiers(conn, modifiers)
    gone = [m for m in models if m.state in (SaveState.DELETING, SaveState.DELETED) and m.changes()]
    if gone:
        raise ValueError(f"{type(gone[0]).__name__} {gone[0].id!r} was deleted (or its delete is being finished): "
                         "its changes cannot be saved; save a new one instead")
    settles_updates = isinstance(resource, Settle) and resource.settles_updates
    # An update (or what follows a create) whose reply was lost: its changes are still there
    # (nothing was marked saved), and an update sets the same values again, so it is sent again.
    # Only a resource that can tell whether they arrived looks first.
    resend = {id(m) for m in models if m.state is SaveState.UNKNOWN and m.id is not None and not settles_updates}
    unknown = [m for m in models if m.state is SaveState.UNKNOWN and id(m) not in resend]
    new = [m for m in models if m.id is None and m.state is not SaveState.UNKNOWN]
    changed = [m for m in models if m.id is not None and m.changes()
               and (m.state in (SaveState.NEW, SaveState.STORED) or id(m) in resend)]
    # What the backend cannot do, and bad input, are refused before anything is sent.
    if new:
        resource.require(Create)
    if changed:
        resource.require(Update)
    for m in changed + unknown:
        m.check_origin(conn, explicit)
    for m in new:
        operations.check_writable(resource, m, list(m.changes()), "create")
        resource.validate(m, "create")
    for m in changed:
        operations.check_writable(resource, m, list(m.changes()), "update")
        resource.validate(m, "update")
    for m in models:  # (only now: a refusal above leaves every model as it was)
        if id(m) in resend:
            m.set_state(SaveState.STORED)
    report = WriteReport("save")
    if unknown:
        try:
            found_all = settle(conn, resource, unknown)
        except KeyboardInterrupt:
            raise interrupted(report) from None  # nothing was sent: the unknown ones stay unknown
        for model, found in zip(unknown, found_all):
            if found.status is Found.STORED:
                model.id = found.id
                model.mark_clean()
                model.bind(conn)
                report.done.append(model)
            elif found.status is Found.ABSENT:
                model.set_state(SaveState.NEW)
                # Certainly not stored: sent again (a create, or an update that did not arrive).
                (new if model.id is None else changed).append(model)
            else:  # the lookup could not tell: not resent
                report.add_unknown(model, OutcomeUnknown(
                    f"{type(model).__name__} {model.id!r}: an earlier write may or may not be stored; "
                    f"{found.reason}"))
    try:
        if new:
            _record(conn, report, new, operations.create_many(conn, resource, new, modifiers))
        if changed:
            _record(conn, report, changed, operations.update_many(conn, resource, changed, modifiers))
        conn.transport.reraise_interrupt()  # what was and was not sent is recorded above
    except KeyboardInterrupt:
        _unrecorded_are_unknown(report, new + changed, SaveState.UNKNOWN)
        raise interrupted(report) from None
    if report.not_sent:
        raise interrupted(report)
    return report


def _unrecorded_are_unknown(report: WriteReport, round_models: Sequence[Any], state: SaveState) -> None:
    """A second Ctrl-C leaves a round before its outcomes were recorded: whatever was in it and
    is not in the report may have been sent, so it is unknown (settled by the next call), never
    new (which would send it again)."""
    recorded = {id(m) for m in report.done} | {id(m) for m, _ in report.failed} | {id(m) for m in report.unknown} \
        | {id(m) for m in report.not_sent}
    for model in round_models:
        if id(model) not in recorded:
            model.set_state(state)
            report.add_unknown(model, OutcomeUnknown(
                f"{type(model).__name__} {model.id!r}: interrupted while its write may have been in flight"))


def settle(conn: "Connection", resource: "Resource[Any]", unknown: Sequence[Any]) -> list[Settlement]:
    """What became of writes whose reply was lost; a lookup that fails leaves them unknown."""
    if not isinstance(resource, Settle):
        log.warning("%d item(s) of an earlier save cannot be looked up on %s; not resent",
                    len(unknown), resource.backend_name)
        return [Settlement.unknown(f"{resource.backend_name} cannot look them up")] * len(unknown)
    try:
        found = resource.settle(conn, unknown)
    except NeuromodelsError as e:
        # Cannot look now: they stay unknown, and the rest of the round goes on.
        log.warning("settling %d item(s) failed (%s); they stay unknown", len(unknown), e)
        return [Settlement.unknown(f"the lookup failed: {e}")] * len(unknown)
    if len(found) != len(unknown):
        return [Settlement.unknown("the lookup answered for a different number of items")] * len(unknown)
    return found


def delete_batch(conn: "Connection", resource: "Resource[Any]", models: Sequence["Model"], *,
                 explicit: bool) -> WriteReport:
    """Delete the models; one whose earlier delete reply was lost counts "not found" as done."""
    report = WriteReport("delete")
    members = [m for m in models if m.id is not None and m.state is not SaveState.DELETED]
    if not members:
        return report
    resource.require(Delete)
    for m in members:  # refused before anything is sent
        m.id = check_id(m.id, resource.id_type, f"{type(m).__name__} id")
        m.check_origin(conn, explicit)
    try:
        errors: list[BaseException | None] = []
        errors = operations.delete_many(conn, resource, members)
        for model, error in zip(members, errors):
            if error is None or (isinstance(error, NotFound) and model.state is SaveState.DELETING):
                model.set_state(SaveState.DELETED)
                report.done.append(model)
            elif isinstance(error, NotSent):
                report.not_sent.append(model)
            elif outcome_unknown(error):
                model.set_state(SaveState.DELETING)
                report.add_unknown(model, error)
            else:
                report.failed.append((model, error))
        conn.transport.reraise_interrupt()
    except KeyboardInterrupt:
        if not errors:  # the round ended before its outcomes came back
            _unrecorded_are_unknown(report, members, SaveState.DELETING)
        raise interrupted(report) from None
    if report.not_sent:
        raise interrupted(report)
    return report
