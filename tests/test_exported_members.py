import subprocess
import sys
from types import ModuleType

import newsearch


def test_public_api_is_exactly_all():
    public = {
        name for name in dir(newsearch)
        if not name.startswith("_") and not isinstance(getattr(newsearch, name), ModuleType)
    }
    assert public - {"annotations"} == set(newsearch.__all__) - {"__version__"}


def test_library_does_not_import_click_or_the_html_stack_for_searching():
    code = ("import sys, newsearch; from newsearch import Archive; "
            "print(sorted(m for m in ('click', 'bs4', 'lxml') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
