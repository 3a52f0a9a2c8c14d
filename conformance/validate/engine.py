"""Compiled, cached validators over a ``SchemaSet``; JSON Schema errors → ``Violation``.

The fast engine is jsonschema-rs; ``jsonschema`` (Python) is the reference implementation, used
by the differential tests and available through :meth:`Engine.reference`.
Validation runs the strict validator first: when it passes there is nothing to report, which is
the common case and costs one call. Otherwise the lenient validator's errors are violations and
the properties only the strict one rejects are reported as ``undeclared`` warnings (errors in
strict mode).

Request validators also assert ``format`` (``uri``, ``date``, ``email``…; unknown formats such as
``binary`` are ignored), as the API rejects a malformed image URL. Response validators keep
formats as annotations (JSON Schema's default), so both engines read responses alike.
"""

from __future__ import annotations

import weakref
from typing import Any

from ..schema import DISCRIMINATOR, SchemaSet
from ..spec.refs import escape, pointer_get, split_location
from .compiled import Compiled
from .undeclared import undeclared
from .violation import ERROR, WARNING, Violation, param_path

__all__ = ["Engine", "engine_for"]

_MAX_MESSAGE = 240


def _pointer(path: Any) -> str:
    return "".join("/" + escape(str(p)) for p in path)


def _short(message: str) -> str:
    return message if len(message) <= _MAX_MESSAGE else message[: _MAX_MESSAGE - 1] + "…"


_TAGS = ("type", "event", "object", "role")
_ABSENT = object()


def _union_summary(keyword: str, error: Any) -> str:
    """A one-line account of a failed oneOf/anyOf that names the data's tag, not its JSON."""
    instance = error.instance
    tags = [
        f"{k} {instance[k]!r}"
        for k in _TAGS
        if isinstance(instance, dict) and isinstance(instance.get(k), str)
    ]
    what = f"object with {tags[0]}" if tags else type(instance).__name__.replace("dict", "object")
    if error.kind.name == "oneOf" and "more than one" in error.message:
        return f"{what} matches more than one {keyword} branch"
    return f"{what} matches none of the {keyword} branches"


class Engine:
    """Validators for one :class:`SchemaSet`, compiled on first use and cached.

    >>> engine = Engine(schema_set(spec, "response"))  # doctest: +SKIP
    >>> engine.check(location, {"id": 1}, where="response.body")  # doctest: +SKIP
    [Violation(message="'object' is a required property", ...)]
    """

    def __init__(self, schemas: SchemaSet) -> None:
        self.schemas = schemas
        self._reference: dict[str, Any] = {}
        self._formats = schemas.direction == "request"
        self._validators = Compiled(schemas, formats=self._formats)  # one compile, shared
        # pure functions of the schemas, memoised for the error path (see _union)
        self._unions: dict[tuple[str, str], tuple[list[str], Any] | None] = {}
        self._declared: dict[tuple[str, str, Any], bool] = {}
        self._tags: dict[str, bool] = {}

    def compiled(self, ref: str, strict: bool = False) -> Any:
        """The validator (``is_valid``, ``iter_errors``) for an absolute ``$ref`` of the set;
        every one shares a single compilation of the set (:mod:`.compiled`)."""
        return self._validators.root(ref, strict)

    def compile_schema(self, schema: Any) -> Any:
        """A jsonschema-rs validator for any converted schema node (its refs resolve in the set)."""
        return self._validators.node(schema)

    def validator(self, location: str, strict: bool = False) -> Any:
        """The compiled validator for a spec schema location."""
        return self.compiled(self.schemas.ref(location), strict)

    def reference(self, location: str, strict: bool = False) -> Any:
        """The reference (pure-Python ``jsonschema``) validator for a spec schema location."""
        import jsonschema
        import referencing

        ref = self.schemas.ref(location, strict=strict)
        key = ref + ("#strict" if strict else "")
        if key not in self._reference:
            registry: Any = referencing.Registry().with_resources(
                [
                    (
                        self.schemas.uri,
                        referencing.Resource.from_contents(self.schemas.document(False)),
                    ),
                    (
                        self.schemas.strict_uri,
                        referencing.Resource.from_contents(self.schemas.document(True)),
                    ),
                ]
            )
            schema = self.schemas.schema(location, strict=strict)
            checker = jsonschema.Draft202012Validator.FORMAT_CHECKER if self._formats else None
            self._reference[key] = jsonschema.Draft202012Validator(
                schema, registry=registry, format_checker=checker
            )
        return self._reference[key]

    def is_valid(self, location: str, instance: Any, *, strict: bool = False) -> bool:
        """Fast yes/no."""
        return bool(self.validator(location, strict).is_valid(instance))

    def check(
        self,
        location: str,
        instance: Any,
        *,
        where: str,
        operation: str = "",
        strict: bool = False,
        event: int | None = None,
        prefix: str = "",
    ) -> list[Violation]:
        """Every violation of ``instance`` against the schema at ``location``.

        Undeclared properties are warnings, or errors when ``strict``. ``prefix`` is prepended
        to every pointer (e.g. ``/limit`` for a parameter).
        """
        ref = self.schemas.ref(location)
        if self.compiled(ref, True).is_valid(instance):
            return []
        made = dict(where=where, operation=operation, event=event)
        errors = list(self.compiled(ref).iter_errors(instance))  # once: both below read them
        out = [
            Violation(severity=ERROR, pointer=prefix + pointer, **made, **fields)  # type: ignore[arg-type]
            for pointer, fields in self._errors(ref, instance, "", 0, errors)
        ]
        for base, name, keyword_location in self._undeclared(ref, instance, prefix, errors):
            out.append(
                Violation(
                    message=f"property {name!r} is not declared by the schema",
                    pointer=f"{base}/{escape(str(name))}",
                    schema_path=self.schemas.spec_location(keyword_location),
                    code="undeclared.property",
                    severity=ERROR if strict else WARNING,
                    **made,  # type: ignore[arg-type]
                )
            )
        return out

    def _undeclared(
        self, ref: str, instance: Any, prefix: str, errors: list[Any] | None = None
    ) -> list[tuple[str, str, str]]:
        """(object pointer, property, schema location) of each property no schema declares.

        Found by walking the lenient schema (:mod:`.undeclared`), not from the strict schema's
        ``unevaluatedProperties`` errors: a property undeclared inside a ``oneOf``/``anyOf``
        branch fails that branch there, which drops its annotations and so makes every property
        of the enclosing object look undeclared, while the real one is never named.

        The walk is skipped when the strict schema fails nowhere the lenient one does not: an
        undeclared property the walk would name fails the strict schema at its object or at a
        union on the way to it, which the lenient schema passes.
        """
        if errors is None:  # the lenient schema's errors, when the caller has none yet
            errors = list(self.compiled(ref).iter_errors(instance))
        lenient = {(tuple(e.instance_path), e.kind.name) for e in errors}
        strict = self.compiled(ref, True).iter_errors(instance)
        if all((tuple(e.instance_path), e.kind.name) in lenient for e in strict):
            return []
        return undeclared(self.schemas, self._fits, ref, instance, prefix)

    def _fits(self, ref: str, instance: Any) -> bool:
        return bool(self.compiled(ref).is_valid(instance))

    # -- error refinement ---------------------------------------------------------------------

    def _errors(
        self, ref: str, instance: Any, base: str, depth: int, errors: list[Any] | None = None
    ) -> list[tuple[str, dict[str, Any]]]:
        found: list[tuple[str, dict[str, Any]]] = []
        if errors is None:
            errors = list(self.compiled(ref).iter_errors(instance))
        for error in errors:
            pointer = base + _pointer(error.instance_path)
            keyword = error.kind.name
            location = error.absolute_keyword_location or ""
            message = error.message
            if keyword in ("oneOf", "anyOf") and depth < 8:
                refined = self._refine_branches(location, keyword, error, pointer, depth)
                if refined is not None:
                    found += refined
                    continue
                message = _union_summary(keyword, error)
            fields: dict[str, Any] = {
                "message": _short(message),
                "keyword": keyword,
                "schema_path": self.schemas.spec_location(location),
            }
            if keyword == "required":  # the missing property, named without parsing the message
                fields["param"] = param_path(pointer, str(error.kind.property))
                fields["expected"] = str(error.kind.property)
            found.append((pointer, fields))
        return found

    def _refine_branches(
        self, location: str, keyword: str, error: Any, pointer: str, depth: int
    ) -> list[tuple[str, dict[str, Any]]] | None:
        """For a failed oneOf/anyOf: the errors of the branch the data was meant for."""
        union = self._union(location, keyword)
        if union is None:
            return None
        branch_refs, disc = union
        instance = error.instance
        candidates: Any = range(len(branch_refs))
        if isinstance(disc, dict) and disc.get("keyword") == keyword and isinstance(instance, dict):
            prop = disc["propertyName"]
            mapping = disc["mapping"]
            if prop in instance:
                value = instance[prop]
                if str(value) in mapping:
                    candidates = mapping[str(value)]
                    if len(candidates) == 1:
                        branch_ref = branch_refs[candidates[0]]
                        return self._errors(branch_ref, instance, pointer, depth + 1) or None
                elif disc.get("complete"):
                    known = ", ".join(sorted(mapping)[:12]) + (", …" if len(mapping) > 12 else "")
                    return [
                        (
                            f"{pointer}/{escape(prop)}",
                            {
                                "message": f"unknown {prop} {value!r} (expected one of: {known})",
                                "keyword": "discriminator",
                                "schema_path": self.schemas.spec_location(location),
                            },
                        )
                    ]
        # no discriminator, or several branches share the tag: the branch that fails least
        if keyword == "oneOf" and error.kind.name == "oneOf" and "more than one" in error.message:
            return None
        # each branch's errors are in the union error's context already (their instance paths
        # start at the validated instance, not at the union's: ``skip`` drops that prefix)
        context = _context(error, len(branch_refs))
        skip = len(list(error.instance_path))
        scored = []
        for index in candidates:
            branch_ref = branch_refs[index]
            if context is None:
                if self.compiled(branch_ref).is_valid(instance):
                    return None  # e.g. oneOf matched more than one branch: keep the original error
                tags, count = self._fit(branch_ref, instance, depth)
            else:
                if not context[index]:
                    return None
                tags, count = self._score(context[index], skip, depth)
            scored.append(((len(tags), count), tags, branch_ref))
        if not scored:
            return None
        if frozenset.intersection(*(tags for _, tags, _ in scored)):
            return None  # the data's type or tag fits no branch: the summary names it
        # a tag value no branch declares (a role of none of their enums) points at no branch
        refs = [ref for _, _, ref in scored]
        stray = {
            tag
            for _, tags, _ in scored
            for tag in tags
            if tag != "/" and not any(self._declares(ref, tag, instance) for ref in refs)
        }
        if stray:
            scored = [((len(tags - stray), count), tags, ref) for (_, count), tags, ref in scored]
        scored.sort(key=lambda s: s[0])
        if len(scored) > 1 and scored[1][0] == scored[0][0]:
            return None  # a tie: no branch is clearly the one meant
        return self._errors(scored[0][2], instance, pointer, depth + 1) or None

    def _union(self, location: str, keyword: str) -> tuple[list[str], Any] | None:
        """The branch refs and the discriminator of the ``oneOf``/``anyOf`` whose keyword
        location this is (None outside the lenient document); memoised, as converted schemas
        never change once made."""
        key = (location, keyword)
        if key in self._unions:
            return self._unions[key]
        found: tuple[list[str], Any] | None = None
        uri, kw_pointer = split_location(location)
        if uri == self.schemas.uri:
            parent_pointer = kw_pointer.rsplit("/", 1)[0]
            try:
                parent = pointer_get(self.schemas.document(False), parent_pointer)
            except KeyError:
                parent = None
            if parent is not None:
                branches = parent.get(keyword) or []
                refs = [
                    self.schemas.pointer_ref(f"{parent_pointer}/{keyword}/{i}")
                    for i in range(len(branches))
                ]
                found = (refs, parent.get(DISCRIMINATOR))
        self._unions[key] = found
        return found

    def _fit(self, ref: str, instance: Any, depth: int) -> tuple[frozenset[str], int]:
        """How badly ``instance`` misses a branch: (what does not fit its type or tags, errors).

        "Tags" are enum/const properties one level down (``type``, ``event``…): a branch whose
        tag differs from the data's is unlikely the one meant. ``"/"`` stands for a wrong JSON
        type. A branch that is itself an undiscriminated oneOf/anyOf (AssistantStreamEvent's
        groups) scores as its best sub-branch.
        """
        return self._score(list(self.compiled(ref).iter_errors(instance)), 0, depth, instance)

    def _score(
        self, errors: list[Any], skip: int, depth: int, instance: Any = _ABSENT
    ) -> tuple[frozenset[str], int]:
        """:meth:`_fit` from a branch's errors (their instance paths less ``skip`` leading
        parts); ``instance`` is needed only where no union error context stands in for it."""
        if not errors:
            return frozenset(), 0
        first = errors[0]
        if len(errors) == 1 and first.kind.name in ("oneOf", "anyOf") and depth < 8:
            refs = self._branches(first.absolute_keyword_location or "")
            if refs is not None and len(list(first.instance_path)) == skip:
                context = _context(first, len(refs))
                if context is not None:
                    subs = [self._score(sub, skip, depth + 1) for sub in context]
                elif instance is not _ABSENT:
                    subs = [self._fit(sub, instance, depth + 1) for sub in refs]
                else:
                    subs = [self._fit(sub, first.instance, depth + 1) for sub in refs]
                if subs:
                    return min(subs, key=lambda s: (len(s[0]), s[1]))
        tags = set()
        for e in errors:
            path = list(e.instance_path)[skip:]
            if e.kind.name == "type" and not path:
                tags.add("/")
            elif e.kind.name in ("enum", "const") and len(path) == 1 and self._is_tag(e):
                tags.add(str(path[0]))
        return frozenset(tags), len(errors)

    def _branches(self, location: str) -> list[str] | None:
        """The refs of the branches under a ``oneOf``/``anyOf`` keyword location (None outside
        the lenient document; memoised)."""
        key = (location, "")
        if key in self._unions:
            hit = self._unions[key]
            return None if hit is None else hit[0]
        uri, kw_pointer = split_location(location)
        refs: list[str] | None = None
        if uri == self.schemas.uri:
            try:
                branches = pointer_get(self.schemas.document(False), kw_pointer)
            except KeyError:
                branches = []
            refs = [self.schemas.pointer_ref(f"{kw_pointer}/{i}") for i, _ in enumerate(branches)]
        self._unions[key] = None if refs is None else (refs, None)
        return refs

    def _declares(self, ref: str, tag: str, instance: Any) -> bool:
        """Whether a branch names the data's value of ``tag`` in an enum or const of its own
        (through ``$ref`` and ``allOf``)."""
        value = instance.get(tag) if isinstance(instance, dict) else None
        if isinstance(value, (str, int, float, type(None))):  # bool is an int
            key = (ref, tag, value)
            known = self._declared.get(key)
            if known is None:
                known = self._declared[key] = self._declares_value(ref, tag, value)
            return known
        return self._declares_value(ref, tag, value)

    def _declares_value(self, ref: str, tag: str, value: Any) -> bool:
        todo, seen = [self.schemas.resolve(ref)], 0
        while todo and seen < 32:
            node, seen = todo.pop(), seen + 1
            if not isinstance(node, dict):
                continue
            if isinstance(node.get("$ref"), str):
                todo.append(self.schemas.resolve(node["$ref"]))
            todo += node.get("allOf") or []
            prop = (node.get("properties") or {}).get(tag)
            while isinstance(prop, dict) and isinstance(prop.get("$ref"), str):
                prop = self.schemas.resolve(prop["$ref"])
            if isinstance(prop, dict) and (
                prop.get("const", _ABSENT) == value or value in (prop.get("enum") or [])
            ):
                return True
        return False

    def _is_tag(self, error: Any) -> bool:
        """True for a tag (a const, a one-value enum, or an enum on ``type``/``event``/…),
        not an ordinary enum property such as ``environment``."""
        if error.kind.name == "const" or str(list(error.instance_path)[-1]) in _TAGS:
            return True
        location = error.absolute_keyword_location or ""
        known = self._tags.get(location)
        if known is None:
            known = self._tags[location] = self._one_value(location)
        return known

    def _one_value(self, location: str) -> bool:
        uri, pointer = split_location(location)
        try:
            values = pointer_get(self.schemas.document(uri == self.schemas.strict_uri), pointer)
        except KeyError:
            return True
        return isinstance(values, list) and len([v for v in values if v is not None]) == 1


def _context(error: Any, branches: int) -> list[list[Any]] | None:
    """The errors of each branch of a failed ``oneOf``/``anyOf``, as jsonschema-rs gathered them
    (None when it did not, or not one list per branch)."""
    context = getattr(error.kind, "context", None)
    if isinstance(context, list) and len(context) == branches:
        return context
    return None


_ENGINES: weakref.WeakKeyDictionary[SchemaSet, Engine] = weakref.WeakKeyDictionary()


def engine_for(schemas: SchemaSet) -> Engine:
    """The (cached) engine of a schema set: one registry and one compile cache per set.

    >>> engine_for(schema_set(spec, "response")).validator(location)  # doctest: +SKIP
    """
    if schemas not in _ENGINES:
        _ENGINES[schemas] = Engine(schemas)
    return _ENGINES[schemas]
