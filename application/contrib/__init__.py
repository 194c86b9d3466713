"""Framework integrations (FastAPI, Starlette, Litestar, AWS Lambda), imported as
``aace.contrib.<name>``: one module, one name. ``aace.contrib``'s path points here;
importing this folder as ``aace.application.contrib`` is refused."""

if __name__ != "aace.contrib":  # this file runs only under a name it does not have
    raise ImportError(f"import aace.contrib, not {__name__}: the integrations have one name")
