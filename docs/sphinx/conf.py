# Sphinx configuration for `make docs`: the plugin and role reference that antsibull-docs
# generates into .build/docs/rst. Works offline: no intersphinx inventories are fetched,
# and the theme is alabaster (ships with Sphinx) rather than one that needs another package.
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

project = 'zoneweaver.illumos'
copyright = 'contributors to the zoneweaver.illumos collection'
title = 'zoneweaver.illumos plugin reference'
html_short_title = 'zoneweaver.illumos'

extensions = ['sphinx_antsibull_ext']

pygments_style = 'ansible'
highlight_language = 'YAML+Jinja'

html_theme = 'alabaster'
html_show_sphinx = False
html_use_smartypants = True
html_use_modindex = False
html_use_index = False
html_copy_source = False

# Links into docs.ansible.com (other collections' plugins, "action_plugins", "common_return_values",
# ansible-core's environment variables) need intersphinx inventories fetched from the network; offline
# they render as plain text, so those two warning types are silenced. Any other warning fails the build.
intersphinx_mapping = {}
suppress_warnings = ['ref.ref', 'ref.envvar']

default_role = 'any'
