"""JupyterLab as `make lab` runs it (`jupyter lab --config=<this file>`):
nothing is fetched from the network on its own.

- no news feed and no check for a newer JupyterLab (the server side);
- settings/overrides.json turns the same two off in the page's settings,
  so JupyterLab does not ask about them either; and it lays out every cell
  of a notebook ("full" windowing), so that a link to a cell of another
  notebook (booktools/notebooks.py) lands on it;
- the extension manager only lists what is installed: it never searches
  PyPI.

tests/test_notebooks.py reads the configuration JupyterLab ends up with.
"""
import os

c = globals()['c']  # the configuration: traitlets runs this file with it

c.LabApp.news_url = None
c.LabApp.check_for_updates_class = \
    'jupyterlab.handlers.announcements.NeverCheckForUpdate'
c.LabApp.extension_manager = 'readonly'
c.LabApp.app_settings_dir = os.path.join(os.path.dirname(__file__),
                                         'settings')
