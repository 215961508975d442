"""minidl.viz: the recorded graph as data, as DOT text, and as a picture."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree

import numpy as np
import pytest

import minidl as mdl
from minidl import viz


def lesson_expression():
    """Notebook 01's first lesson: L = (a·b + c)², a = 2, b = −3, c = 10."""
    a = mdl.tensor(2.0, requires_grad=True)
    b = mdl.tensor(-3.0, requires_grad=True)
    c = mdl.tensor(10.0, requires_grad=True)
    e = a * b
    d = e + c
    L = d**2
    return {"a": a, "b": b, "c": c, "e": e, "d": d, "L": L}


def by_label(data):
    return {node["label"]: node for node in data["nodes"]}


def named_edges(data):
    """Edges as (label, label) pairs."""
    labels = {node["id"]: node["label"] for node in data["nodes"]}
    return sorted((labels[source], labels[target]) for source, target in data["edges"])


def test_graph_of_the_lesson_expression_links_tensors_through_ops():
    names = lesson_expression()
    data = viz.graph(names["L"], names=names)
    assert [(node["kind"], node["label"]) for node in data["nodes"]] == [
        ("tensor", "a"), ("tensor", "b"), ("op", "Mul"), ("tensor", "e"),
        ("tensor", "c"), ("op", "Add"), ("tensor", "d"), ("op", "Pow"), ("tensor", "L"),
    ]  # fmt: skip
    assert named_edges(data) == sorted(
        [("a", "Mul"), ("b", "Mul"), ("Mul", "e"), ("e", "Add"), ("c", "Add"),
         ("Add", "d"), ("d", "Pow"), ("Pow", "L")]
    )  # fmt: skip
    nodes = by_label(data)
    assert {name: nodes[name]["value"] for name in "abcedL"} == {
        "a": 2.0, "b": -3.0, "c": 10.0, "e": -6.0, "d": 4.0, "L": 16.0,
    }  # fmt: skip
    assert [name for name in "abcedL" if nodes[name]["leaf"]] == ["a", "b", "c"]
    assert nodes["L"]["shape"] == () and nodes["L"]["dtype"] == "float32"


def test_graph_shows_shapes_and_hides_the_values_of_large_tensors():
    x = mdl.tensor(np.ones((4, 3)), requires_grad=True)
    W = mdl.tensor(np.ones((3, 5)), requires_grad=True)
    y = (x @ W).sum()
    nodes = viz.graph(y, names={"x": x, "W": W, "y": y})["nodes"]
    tensors = {node["label"]: node for node in nodes if node["kind"] == "tensor"}
    assert tensors["x"]["shape"] == (4, 3) and tensors["x"]["value"] is None  # 12 elements
    assert tensors[""]["shape"] == (4, 5)  # the unnamed x @ W
    assert tensors["y"]["value"] == 60.0
    assert [node["label"] for node in nodes if node["kind"] == "op"] == ["MatMul", "Sum"]


def test_an_intermediate_nobody_holds_keeps_shape_and_dtype_but_no_value():
    x = mdl.tensor(np.arange(3.0), requires_grad=True)
    y = (x * 2).sum()  # x * 2 is freed at once: the graph does not keep it alive
    middle = [node for node in viz.graph(y)["nodes"] if node["kind"] == "tensor"][1]
    assert middle == {
        "id": middle["id"], "kind": "tensor", "label": "", "shape": (3,),
        "dtype": "float64", "leaf": False, "value": None, "grad": None,
    }  # fmt: skip


def test_a_node_used_twice_appears_once_with_two_edges():
    x = mdl.tensor(3.0, requires_grad=True)
    y = x * x
    data = viz.graph(y, names={"x": x, "y": y})
    assert [node["label"] for node in data["nodes"]] == ["x", "Mul", "y"]
    assert named_edges(data) == [("Mul", "y"), ("x", "Mul"), ("x", "Mul")]


def test_constants_and_inputs_without_grad_are_not_drawn():
    x = mdl.tensor(1.5, requires_grad=True)
    frozen = mdl.tensor(4.0)
    y = x * frozen + 2.0
    assert [node["label"] for node in viz.graph(y, names={"x": x})["nodes"]] == [
        "x", "Mul", "", "Add", "",
    ]  # fmt: skip


def test_graph_shows_gradients_after_backward_with_retain_graph():
    names = lesson_expression()
    names["L"].backward(retain_graph=True)
    nodes = by_label(viz.graph(names["L"], names=names))
    assert {name: nodes[name]["grad"] for name in "abc"} == {"a": -24.0, "b": 16.0, "c": 8.0}


def test_graph_of_a_freed_graph_is_a_clear_error():
    names = lesson_expression()
    names["L"].backward()
    with pytest.raises(ValueError, match="freed by backward"):
        viz.graph(names["L"])


def test_graph_of_a_leaf_is_one_node():
    x = mdl.tensor([1.0, 2.0])
    assert viz.graph(x, names={"x": x}) == {
        "nodes": [{"id": "t0", "kind": "tensor", "label": "x", "shape": (2,),
                   "dtype": "float32", "leaf": True, "value": [1.0, 2.0], "grad": None}],
        "edges": [],
    }  # fmt: skip


def test_graph_of_a_deep_chain_needs_no_recursion():
    x = mdl.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(5_000):
        y = y + 1.0
    data = viz.graph(y)
    assert len(data["nodes"]) == 1 + 2 * 5_000 and len(data["edges"]) == 2 * 5_000


def test_graph_names_may_be_a_namespace_with_other_values():
    x = mdl.tensor(2.0, requires_grad=True)
    y = x * 3
    namespace = {"x": x, "y": y, "three": 3, "np": np, "alias_of_y": y}
    assert [node["label"] for node in viz.graph(y, names=namespace)["nodes"]] == [
        "x", "Mul", "y",
    ]  # fmt: skip


def test_to_dot_declares_every_node_and_edge():
    names = lesson_expression()
    data = viz.graph(names["L"], names=names)
    dot = viz.to_dot(names["L"], names=names)
    assert dot.startswith("digraph minidl {") and dot.rstrip().endswith("}")
    declared = re.findall(r"^  (\w+) \[label=\"([^\"]*)\"", dot, flags=re.MULTILINE)
    assert [node_id for node_id, _ in declared] == [node["id"] for node in data["nodes"]]
    labels = dict(declared)
    assert labels[by_label(data)["e"]["id"]] == "e\\n= -6\\nscalar float32"
    assert labels[by_label(data)["Mul"]["id"]] == "Mul"
    edges = re.findall(r"^  (\w+) -> (\w+);$", dot, flags=re.MULTILINE)
    assert edges == [tuple(edge) for edge in data["edges"]]


def test_to_dot_escapes_quotes_in_names():
    x = mdl.tensor(1.0, requires_grad=True)
    y = x * 2
    dot = viz.to_dot(y, names={'the "x"\\': x})
    assert 'label="the \\"x\\"\\\\\\n= 1' in dot


@pytest.mark.skipif(not viz.graphviz_available(), reason="Graphviz's dot is not installed")
def test_draw_renders_svg_inline_and_to_a_file(tmp_path):
    names = lesson_expression()
    picture = viz.draw(names["L"], names=names)
    root = ElementTree.fromstring(picture._repr_svg_().encode("utf-8"))
    assert root.tag.endswith("svg")
    texts = [element.text for element in root.iter() if element.tag.endswith("text")]
    assert {"Mul", "Add", "Pow", "a", "e", "L"} <= set(texts)
    written = viz.draw(names["L"], tmp_path / "graph.png", names=names)
    assert written.read_bytes().startswith(b"\x89PNG")


def test_draw_without_graphviz_says_what_to_install(monkeypatch):
    monkeypatch.setattr(viz.shutil, "which", lambda program: None)
    x = mdl.tensor(1.0, requires_grad=True)
    with pytest.raises(RuntimeError, match="apt-get install graphviz.*to_dot"):
        viz.draw(x * 2)
    assert not viz.graphviz_available()
