"""Contacts core: models, rules, the store, search and the service API both front ends call."""
