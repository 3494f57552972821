"""The example domains in Python; importing the package puts the generated modules on sys.path."""
import angzarr_sdk  # noqa: F401
