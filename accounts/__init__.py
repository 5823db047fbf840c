"""Organisations (CAS customers), the people who work for them or for support, and their roles.

Owns who may see what. Never owns customs data: other apps point at ``Organisation``.
"""
