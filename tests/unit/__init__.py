"""A package, so that its conftest and test modules are `unit.*`: the tests one level up
import their own conftest as the top-level module `conftest`, which this one must not shadow."""
