"""nn.Module, nn.Parameter and nn.Sequential: discovery, modes, devices, state_dict, repr, summary."""

from __future__ import annotations

import numpy as np
import pytest

import minidl as mdl
from minidl import nn


class TwoLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 3)
        self.scale = nn.Parameter(np.ones(3, dtype=np.float32))
        self.blocks = [nn.Linear(3, 3), nn.ReLU(), nn.Linear(3, 2)]
        self.not_a_layer = "ignored"

    def forward(self, x):
        x = self.fc1(x) * self.scale
        for block in self.blocks:
            x = block(x)
        return x


def mlp():
    return nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 2))


def snapshot(model):
    return {name: p.numpy().copy() for name, p in model.named_parameters()}


def assert_unchanged(model, before):
    for name, p in model.named_parameters():
        np.testing.assert_array_equal(p.numpy(), before[name], err_msg=name)


# ---------------------------------------------------------------------------- Parameter


def test_parameter_is_a_float_leaf_that_requires_grad():
    p = nn.Parameter(np.arange(3))
    assert isinstance(p, mdl.Tensor)
    assert p.requires_grad and p.is_leaf
    assert p.dtype == np.float32
    assert nn.Parameter(np.zeros(2, dtype=np.float64)).dtype == np.float64
    assert "Parameter containing" in repr(p)


# ---------------------------------------------------------------------------- discovery


def test_parameters_are_found_in_definition_order_with_dotted_names():
    names = [name for name, _ in TwoLayer().named_parameters()]
    assert names == [
        "fc1.weight", "fc1.bias", "scale",
        "blocks.0.weight", "blocks.0.bias", "blocks.2.weight", "blocks.2.bias",
    ]  # fmt: skip


def test_sequential_names_start_with_the_position():
    assert [name for name, _ in mlp().named_parameters()] == [
        "0.weight",
        "0.bias",
        "2.weight",
        "2.bias",
    ]


def test_children_and_modules():
    model = TwoLayer()
    assert [type(c).__name__ for c in model.children()] == ["Linear", "Linear", "ReLU", "Linear"]
    modules = list(model.modules())
    assert modules[0] is model and len(modules) == 5


def test_shared_parameter_is_listed_once():
    shared = nn.Linear(3, 3)
    twice = nn.Sequential(shared, nn.ReLU(), shared)
    assert len(list(twice.parameters())) == 2
    assert twice.num_parameters() == 12


def test_module_without_super_init_still_works():
    class Bare(nn.Module):
        def __init__(self):  # forgets super().__init__()
            self.fc = nn.Linear(2, 2)

    bare = Bare()
    assert bare.training and len(list(bare.parameters())) == 2


def test_forward_missing_is_a_clear_error():
    with pytest.raises(NotImplementedError, match="forward"):
        nn.Module()(1)


# ---------------------------------------------------------------------------- modes, grads, devices


def test_train_eval_set_every_descendant_and_return_self():
    model = TwoLayer()
    assert model.eval() is model
    assert all(not m.training for m in model.modules())
    assert model.train() is model
    assert all(m.training for m in model.modules())


def test_zero_grad_clears_every_gradient():
    model = mlp()
    for p in model.parameters():
        p.grad = np.ones(p.shape, dtype=p.dtype)
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_to_moves_in_place_and_keeps_parameter_identity(backend):
    with mdl.use_backend("numpy"):
        model = mlp()
    parameters = list(model.parameters())
    before = snapshot(model)
    for p in parameters:
        p.grad = np.ones(p.shape, dtype=p.dtype)
    assert model.to(backend.name) is model
    assert all(a is b for a, b in zip(parameters, model.parameters()))
    assert all(p.device == backend.name for p in model.parameters())
    assert all(backend.is_array(p.grad) for p in model.parameters())
    assert_unchanged(model.to("numpy"), before)


# ---------------------------------------------------------------------------- state_dict


def test_state_dict_is_a_host_copy_in_order():
    model = mlp()
    state = model.state_dict()
    assert list(state) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert all(type(v) is np.ndarray for v in state.values())
    state["0.weight"][...] = 123.0
    assert not np.any(model[0].weight.numpy() == 123.0)


def test_state_dict_round_trip(backend):
    source, target = mlp(), mlp()
    target.load_state_dict(source.state_dict())
    assert_unchanged(target, snapshot(source))
    assert all(p.device == backend.name for p in target.parameters())


def test_load_state_dict_keeps_parameter_dtype_and_identity():
    model = mlp()
    weight = model[0].weight
    state = {name: value.astype(np.float64) for name, value in model.state_dict().items()}
    model.load_state_dict(state)
    assert model[0].weight is weight and weight.dtype == np.float32


def test_load_state_dict_copies_values():
    model = mlp()
    state = model.state_dict()
    model.load_state_dict(state)
    state["0.bias"][...] = 7.0
    assert not np.any(model[0].bias.numpy() == 7.0)


@pytest.mark.parametrize(
    "change, expected_in_message",
    [
        (lambda s: s.pop("2.bias"), ["missing", "2.bias"]),
        (lambda s: s.update(extra=np.zeros(2)), ["unexpected", "'extra'"]),
        (lambda s: s.update({"0.weight": np.zeros((4, 5))}), ["0.weight", "(5, 4)", "(4, 5)"]),
        (lambda s: s.update({"0.bias": [0.0] * 5}), ["0.bias", "numeric array", "list"]),
    ],
    ids=["missing", "unexpected", "misshaped", "not-an-array"],
)
def test_load_state_dict_refuses_and_changes_nothing(change, expected_in_message):
    model = mlp()
    before = snapshot(model)
    state = {name: np.full_like(value, 9.0) for name, value in model.state_dict().items()}
    change(state)
    with pytest.raises(mdl.CheckpointError) as error:
        model.load_state_dict(state)
    assert isinstance(error.value, ValueError)
    for text in expected_in_message:
        assert text in str(error.value)
    assert "nothing was changed" in str(error.value)
    assert_unchanged(model, before)


def test_load_state_dict_lists_every_problem_at_once():
    model = mlp()
    before = snapshot(model)
    state = model.state_dict()
    state.pop("0.bias")
    state["2.weight"] = np.zeros((1, 1))
    state["bogus"] = np.zeros(1)
    with pytest.raises(mdl.CheckpointError) as error:
        model.load_state_dict(state)
    message = str(error.value)
    assert "0.bias" in message and "2.weight" in message and "'bogus'" in message
    assert_unchanged(model, before)


def test_checkpoint_of_another_architecture_is_refused():
    model = mlp()
    before = snapshot(model)
    other = TwoLayer()
    with pytest.raises(mdl.CheckpointError, match="different architecture"):
        model.load_state_dict(other.state_dict())
    assert_unchanged(model, before)


def test_load_state_dict_needs_a_dict():
    with pytest.raises(mdl.CheckpointError, match="dict"):
        mlp().load_state_dict([1, 2])


# ---------------------------------------------------------------------------- Sequential


def test_sequential_indexing_len_iteration_append():
    model = mlp()
    assert len(model) == 3
    assert model[-1] is model[2]
    head = model[:2]
    assert isinstance(head, nn.Sequential) and len(head) == 2 and head[0] is model[0]
    assert [type(layer).__name__ for layer in model] == ["Linear", "ReLU", "Linear"]
    assert model.append(nn.Sigmoid()) is model and len(model) == 4
    with pytest.raises(IndexError, match="4 layers"):
        model[4]


def test_sequential_refuses_a_function_with_a_hint():
    with pytest.raises(TypeError, match=r"nn\.ReLU\(\)"):
        nn.Sequential(nn.Linear(2, 2), lambda x: x)


def test_sequential_forward_chains_layers():
    model = mlp()
    x = mdl.tensor(np.random.default_rng(0).standard_normal((3, 4)))
    expected = model[2](model[1](model[0](x)))
    np.testing.assert_array_equal(model(x).numpy(), expected.numpy())


def test_repr_reads_like_pytorch():
    model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10, bias=False))
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Linear(in_features=784, out_features=128, bias=True)\n"
        "  (1): ReLU()\n"
        "  (2): Linear(in_features=128, out_features=10, bias=False)\n"
        ")"
    )
    nested = repr(TwoLayer())
    assert "(blocks.2): Linear(in_features=3, out_features=2, bias=True)" in nested


# ---------------------------------------------------------------------------- summary


def test_summary_lists_layers_output_shapes_and_parameter_counts():
    model = nn.Sequential(
        nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10)
    )
    table = model.summary((1, 784))
    assert table == nn.summary(model, (1, 784))
    assert "(0) Linear" in table and "(1, 128)" in table and "100,480" in table
    assert "(4) Linear" in table and "(1, 10)" in table
    assert "Total params: 109,386" in table


def test_summary_restores_modes_and_draws_nothing_random():
    model = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5), nn.Linear(4, 1))
    backend = mdl.get_backend()
    mdl.manual_seed(5)
    expected = backend.to_host(backend.uniform((3,), np.float64))
    mdl.manual_seed(5)
    model.summary((2, 4))
    assert model.training and model[1].training
    np.testing.assert_array_equal(backend.to_host(backend.uniform((3,), np.float64)), expected)


def test_summary_passes_on_a_layer_shape_error():
    with pytest.raises(ValueError, match="flatten"):
        mlp().summary((1, 2, 2))


def test_summary_leaves_every_module_as_it_was():
    shared = nn.Linear(3, 3)
    model = nn.Sequential(shared, nn.ReLU(), shared)  # one module called twice
    special = nn.Sequential(nn.Linear(3, 2))
    special.forward = lambda x: special[0](x) * 2  # a forward set on the instance
    outer = nn.Sequential(model, special)
    table = outer.summary((1, 3))
    assert table.count("Linear") == 3  # every call is a row: the shared layer twice
    assert all("forward" not in vars(module) for module in model.modules())
    assert vars(special)["forward"] is not None  # the instance's own forward is back
    x = mdl.tensor(np.ones((1, 3)))
    np.testing.assert_allclose(special(x).numpy(), 2 * special[0](x).numpy())
    with pytest.raises(ValueError):  # a failing pass cleans up too
        outer.summary((1, 5))
    assert all("forward" not in vars(module) for module in model.modules())
