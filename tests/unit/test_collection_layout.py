"""Collection-wide rules that no single module test would catch."""

import ast
import os

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODULES = sorted(f[:-3] for f in os.listdir(os.path.join(ROOT, "plugins", "modules"))
                 if f.endswith(".py") and not f.startswith("_"))


def module_doc(name):
    tree = ast.parse(open(os.path.join(ROOT, "plugins", "modules", name + ".py")).read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "DOCUMENTATION":
            return yaml.safe_load(node.value.value)
    raise AssertionError("%s has no DOCUMENTATION" % name)


def agent_backed():
    return [m for m in MODULES if "zoneweaver.illumos.agent" in module_doc(m).get("extends_documentation_fragment", [])]


def test_every_agent_module_is_in_the_action_group():
    runtime = yaml.safe_load(open(os.path.join(ROOT, "meta", "runtime.yml")))
    group = runtime["action_groups"]["agent"]
    assert sorted(group) == sorted(agent_backed())
    assert group == sorted(group)


def test_every_agent_module_runs_in_the_controller():
    for name in agent_backed():
        path = os.path.join(ROOT, "plugins", "action", name + ".py")
        assert os.path.exists(path), "%s has no action plugin" % name
        assert 'MODULE = "%s"' % name in open(path).read()


def test_every_agent_module_declares_the_action_group_attribute():
    for name in agent_backed():
        fragments = module_doc(name)["extends_documentation_fragment"]
        assert "zoneweaver.illumos.agent.action_group" in fragments, name


def test_modules_document_examples_and_return():
    for name in MODULES:
        source = open(os.path.join(ROOT, "plugins", "modules", name + ".py")).read()
        tree = ast.parse(source)
        names = {getattr(n.targets[0], "id", None) for n in tree.body if isinstance(n, ast.Assign)}
        assert {"DOCUMENTATION", "EXAMPLES", "RETURN", "ARGUMENT_SPEC"} <= names, name
        assert yaml.safe_load([n.value.value for n in tree.body if isinstance(n, ast.Assign)
                               and getattr(n.targets[0], "id", None) == "EXAMPLES"][0]), name
