"""Importers: a Postman collection or an OpenAPI document made into declarative targets."""
