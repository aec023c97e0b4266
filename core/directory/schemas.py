"""Custom-field schemas: every change an admin makes is a new version; fields are disabled, never dropped."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from core.customfields import CustomField, CustomFieldSchema
from core.directory.base import dump, reads, validated
from core.directory.validation import Validation
from core.errors import ValidationFailed
from core.kinds import RecordKind
from core.policy import Action, Actor
from core.text import fold


class Schemas(Validation):
    @reads
    def schema_history(self, entity: str) -> list[CustomFieldSchema]:
        kind = RecordKind.of(entity)
        versions = self._repo.get_many("schemas", self._repo.find("schema.entity", kind))
        return sorted((CustomFieldSchema.model_validate({**d, "id": i}) for i, d in versions.items()),
                      key=lambda s: s.version)

    def _new_schema_version(self, actor: Actor, entity: str,
                            change: Callable[[list[CustomField]], str]) -> CustomFieldSchema:
        kind = RecordKind.of(entity)
        self.require(actor, Action.configure)
        with self._repo.transaction():
            current = self.schema(kind)
            fields = [f.model_copy() for f in current.fields]
            detail = change(fields)
            schema = validated(CustomFieldSchema, {
                "entity": kind.value, "version": current.version + 1, "fields": fields, "author": actor.id,
                "created_at": self._now()}, prefix="schema.")
            schema.id = self._repo.insert("schemas", dump(schema))
            self._audit_subject(f"schema:{kind}", f"version {schema.version}", actor, {}, detail)
        return schema

    def add_custom_field(self, actor: Actor, entity: str, field: Mapping[str, Any]) -> CustomFieldSchema:
        spec = validated(CustomField, field, prefix="field.")

        def add(fields: list[CustomField]) -> str:
            if any(f.key == spec.key for f in fields):
                raise ValidationFailed.one("key", spec.key, f"{entity}s already have a custom field with this key; "
                                           "keys stay reserved even when a field is disabled")
            same_label = next((f for f in fields if fold(f.label) == fold(spec.label)), None)
            if same_label is not None:
                raise ValidationFailed.one("label", spec.label, f"{entity}s already have a field labelled like this "
                                           f"({same_label.key!r}); two fields alike on a form are a trap")
            if spec.required:
                raise ValidationFailed.one("required", True, "a new field cannot be required: existing records "
                                           "have no value for it")
            fields.append(spec)
            return f"added {spec.type.value} field {spec.key!r}"

        return self._new_schema_version(actor, entity, add)

    def set_custom_field_disabled(self, actor: Actor, entity: str, key: str,
                                  disabled: bool = True) -> CustomFieldSchema:
        """Disable (or enable again) a field: values are kept and stay searchable, but cannot be changed."""

        def toggle(fields: list[CustomField]) -> str:
            for i, spec in enumerate(fields):
                if spec.key == key:
                    if spec.disabled == disabled:
                        raise ValidationFailed.one("key", key, f"is already {'disabled' if disabled else 'enabled'}")
                    fields[i] = spec.model_copy(update={"disabled": disabled})
                    return f"{'disabled' if disabled else 'enabled'} field {key!r}"
            known = ", ".join(f.key for f in fields) or "none"
            raise ValidationFailed.one("key", key, f"is not a custom field of {entity}s (fields: {known})")

        return self._new_schema_version(actor, entity, toggle)
