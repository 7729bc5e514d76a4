"""Playbooks: triggers, conditions and actions a team writes as YAML files."""
