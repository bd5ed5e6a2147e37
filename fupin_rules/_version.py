"""The version of the fupin-rules library (not of any rule set)."""

__version__ = "0.1.0"
