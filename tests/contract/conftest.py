"""The contract suite: its ``store`` fixture (tests/conftest.py) runs every test once per
adapter, and each run asserts which adapter it really got."""
