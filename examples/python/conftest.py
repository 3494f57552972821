"""pytest: the generated modules on sys.path for every test (examples/python is the rootdir)."""
import angzarr_sdk  # noqa: F401
