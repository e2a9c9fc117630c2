"""The JSON Schema of the rule format, so editors complete and check rule files as staff type."""

from __future__ import annotations

import json

from auditor.rules.model import RuleFile

SCHEMA_FILE = "rule.schema.json"


def rule_schema() -> dict:
    schema = RuleFile.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "auditor rule file"
    return schema


def rule_schema_text() -> str:
    return json.dumps(rule_schema(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
