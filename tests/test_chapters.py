"""Every claim the prose makes about an output, checked against the output the
build produced (`_build/eval/chapters/*.ipynb`)."""
import base64
import re

import pytest

from conftest import HTML, ROOT, cell, evaluated, text


def shapes(output):
    """{'dense0_weight': (256, 20), ...} from printed parameter listings."""
    found = {}
    for name, shape in re.findall(
            r'(\w+_(?:weight|bias))\W+(?:shape=)?\(([\d, ]*)\)', output):
        found[name] = tuple(int(d) for d in shape.replace(' ', '').split(',')
                            if d)
    return found


def init_lines(output):
    """[('dense2_weight', (256, 20)), ...] from MyInit's `Init` lines."""
    return [(name, tuple(int(d) for d in shape.split(',') if d.strip()))
            for name, shape in re.findall(r'^Init (\w+) \(([\d, ]*)\)$',
                                          output, re.M)]


@pytest.fixture(scope='module')
def lesson():
    return evaluated('deferred_init')


# --- deferred_init: the core lesson ----------------------------------------

def test_weight_shapes_unknown_until_the_first_forward_pass(lesson):
    before = shapes(text(cell(lesson, 'params-before-init')))
    after_init = shapes(text(cell(lesson, 'params-after-init')))
    after_forward = shapes(text(cell(lesson, 'first-forward')))
    # 0 marks an unknown dimension: the input width is not known yet.
    assert before['dense0_weight'] == (256, 0)
    assert before['dense1_weight'] == (10, 0)
    assert after_init == before  # initialize() changed no shape
    # X has 20 features; the second layer sees the first one's 256 outputs.
    assert after_forward['dense0_weight'] == (256, 20)
    assert after_forward['dense1_weight'] == (10, 256)
    # Biases never depended on the input width.
    assert before['dense0_bias'] == after_forward['dense0_bias'] == (256,)


def test_reading_weights_before_data_is_a_deferred_error(lesson):
    out = text(cell(lesson, 'data-before-forward'))
    assert out.startswith('DeferredInitializationError: ')
    assert "'dense0_weight'" in out and 'deferred' in out


def test_myinit_runs_once_per_weight_at_the_first_forward_pass(lesson):
    assert init_lines(text(cell(lesson, 'myinit-initialize'))) == []
    first = init_lines(text(cell(lesson, 'myinit-first-forward')))
    assert [shape for _, shape in first] == [(256, 20), (10, 256)]
    assert len({name for name, _ in first}) == 2  # each weight once
    assert all(name.endswith('_weight') for name, _ in first)
    assert init_lines(text(cell(lesson, 'myinit-second-forward'))) == []


def test_force_reinit_runs_the_initializer_again(lesson):
    first = init_lines(text(cell(lesson, 'myinit-first-forward')))
    again = init_lines(text(cell(lesson, 'force-reinit')))
    assert again == first  # the same weights, same shapes, once more


def test_in_units_initializes_at_initialize(lesson):
    c = cell(lesson, 'in-units')
    assert 'in_units' in c.source and 'net(' not in c.source
    assert [s for _, s in init_lines(text(c))] == [(256, 20), (10, 256)]


def test_stages_figure_is_drawn_and_referenced():
    svg = ROOT / 'img' / 'deferred-init-stages.svg'
    assert svg.read_text().lstrip().startswith(('<svg', '<?xml'))
    assert 'deferred-init-stages.svg' in (
        ROOT / 'chapters' / 'deferred_init.md').read_text()
    page = (HTML / 'chapters' / 'deferred_init.html').read_text()
    assert 'deferred-init-stages.svg' in page
    assert (HTML / '_images' / 'deferred-init-stages.svg').exists()


# --- init_errors: the two errors and hybridize() ---------------------------

def test_the_two_errors_differ_in_type_and_message():
    nb = evaluated('init_errors')
    before_init = text(cell(nb, 'error-before-initialize'))
    before_data = text(cell(nb, 'error-before-data'))
    assert before_init.startswith('RuntimeError: ')
    assert 'has not been initialized.' in before_init
    assert before_data.startswith('DeferredInitializationError: ')
    assert 'deferred' in before_data


def test_hybridize_keeps_initialization_deferred():
    nb = evaluated('init_errors')
    assert 'hybridize()' in cell(nb, 'hybridize-before').source
    assert text(cell(nb, 'hybridize-before')).split() == \
        ['(256,', '0)', '(10,', '0)']
    assert text(cell(nb, 'hybridize-after')).split() == \
        ['(256,', '20)', '(10,', '256)']


# --- conv_shapes: the convolutional case and the figure --------------------

def conv_dense_inputs(side):
    """What the dense layer must see: two 5x5 valid convolutions, each
    followed by 2x2 pooling, then 16 channels flattened."""
    for _ in range(2):
        side = (side - 4) // 2
    return 16 * side * side


def test_two_resolutions_give_different_dense_input_sizes():
    nb = evaluated('conv_shapes')
    small = shapes(text(cell(nb, 'conv-small')))
    large = shapes(text(cell(nb, 'conv-large')))
    dense_small = next(v for k, v in small.items() if k.startswith('dense')
                       and k.endswith('weight'))
    dense_large = next(v for k, v in large.items() if k.startswith('dense')
                       and k.endswith('weight'))
    assert dense_small == (10, conv_dense_inputs(28))
    assert dense_large == (10, conv_dense_inputs(64))
    assert dense_small != dense_large
    # The convolution kernels do not depend on the resolution.
    conv_small = sorted(v for k, v in small.items() if k.startswith('conv')
                        and k.endswith('weight'))
    conv_large = sorted(v for k, v in large.items() if k.startswith('conv')
                        and k.endswith('weight'))
    assert conv_small == conv_large == [(6, 1, 5, 5), (16, 6, 5, 5)]


def test_figure_is_a_real_image():
    out = [o for o in cell(evaluated('conv_shapes'), 'figure').outputs
           if 'image/png' in o.get('data', {})]
    assert len(out) == 1
    png = base64.b64decode(out[0].data['image/png'])
    assert png.startswith(b'\x89PNG') and len(png) > 5000
    page = (HTML / 'chapters' / 'conv_shapes.html').read_text()
    assert re.search(r'<img [^>]*src="[^"]+\.png"', page)


# --- exercise_solutions -----------------------------------------------------

def test_partial_in_units_initializes_only_the_first_layer_early():
    nb = evaluated('exercise_solutions')
    early = init_lines(text(cell(nb, 'partial-initialize')))
    late = init_lines(text(cell(nb, 'partial-forward')))
    assert [s for _, s in early] == [(256, 20)]
    assert [s for _, s in late] == [(10, 256)]


def test_mismatch_is_caught_at_the_forward_pass_not_at_initialize():
    nb = evaluated('exercise_solutions')
    at_init = text(cell(nb, 'mismatch-initialize'))
    assert 'Error' not in at_init
    assert [s for _, s in init_lines(at_init)] == [(256, 20), (10, 256)]
    forward = text(cell(nb, 'mismatch-forward'))
    assert forward.startswith('MXNetError: Shape inconsistent')
    assert 'Provided = [256,20]' in forward and '(256,30)' in forward
    layers = text(cell(nb, 'mismatch-layers'))
    assert 'Provided = [10,128]' in layers and '(10,256)' in layers


def test_wider_data_is_refused_by_an_initialized_network():
    out = text(cell(evaluated('exercise_solutions'), 'different-width'))
    assert out.startswith('MXNetError: Shape inconsistent')


def test_shared_parameters_are_one_and_the_same():
    nb = evaluated('exercise_solutions')
    inits = init_lines(text(cell(nb, 'shared-forward')))
    # The shared output layer is initialized once, for both networks.
    assert [s for _, s in inits] == [(256, 20), (10, 256), (256, 30)]
    identity, name_shape = text(cell(nb, 'shared-check')).splitlines()[:2]
    assert identity == 'True'
    assert name_shape.endswith('(10, 256)')
    same_values, changed = text(cell(nb, 'shared-update')).split()
    assert same_values == 'True' and changed == 'True'
