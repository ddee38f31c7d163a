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
    large = shapes(text(cell(nb, 'conv-large-shapes')))
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
    # Trained through `net`, read through `net_30`: the change is there, and
    # it is exactly the SGD step computed through `net`.
    assert 'net_30' not in cell(nb, 'shared-step').source
    assert text(cell(nb, 'shared-update')).splitlines() == [
        'changed: True', 'equals the step through net: True']
    update = cell(nb, 'shared-update').source
    assert 'net_30[1].weight.data() - before' in update
    assert 'net[1].weight.grad()' in update


# --- claims added with the second edition ----------------------------------

def lines(nb, cell_id):
    return text(cell(nb, cell_id)).strip().splitlines()


def floats(output):
    return [float(v) for v in re.findall(r'-?\d+\.\d*', output.split('<')[0])]


def test_biases_are_initialized_by_initialize_and_readable(lesson):
    out = text(cell(lesson, 'bias-before-forward'))
    assert '<NDArray 4 ' in out and floats(out) == [0.0] * 4
    assert init_lines(out) == []  # no weight was initialized


def test_set_data_on_a_deferred_weight_replaces_its_initializer(lesson):
    assert lines(lesson, 'set-data') == ['(256, 20)']
    assert text(cell(lesson, 'set-data-read')).startswith(
        'DeferredInitializationError: ')
    out = text(cell(lesson, 'set-data-forward'))
    # MyInit ran for the second weight only; the first holds the ones set.
    assert [s for _, s in init_lines(out)] == [(10, 256)]
    assert floats(out) == [1.0] * 4


def test_initialize_hands_only_the_biases_to_the_initializer(lesson):
    out = lines(lesson, 'trace-initialize')
    assert len(out) == 2 and all(re.fullmatch(r'Call dense\d+_bias', l)
                                 for l in out)


def trace(nb, cell_id):
    """('Forward', layer) / ('Call', param) / ('Init', param) in order."""
    events = []
    for line in lines(nb, cell_id):
        word, name = line.split()[:2]
        events.append((word, name))
    return events


def test_a_plain_network_infers_and_initializes_layer_by_layer(lesson):
    events = trace(lesson, 'trace-forward')
    assert all(l.endswith('on NDArray') for l in lines(lesson, 'trace-forward')
               if l.startswith('Forward'))
    layers = [name for word, name in events if word == 'Forward']
    assert len(layers) == 2
    # layer 1 starts, its weight is initialized, and only then layer 2 starts
    assert events == [('Forward', layers[0]), ('Call', layers[0] + '_weight'),
                      ('Init', layers[0] + '_weight'), ('Forward', layers[1]),
                      ('Call', layers[1] + '_weight'),
                      ('Init', layers[1] + '_weight')]
    shapes_ = init_lines(text(cell(lesson, 'trace-forward')))
    assert [s for _, s in shapes_] == [(256, 20), (10, 256)]


def test_a_hybridized_network_infers_the_whole_graph_first(lesson):
    out = lines(lesson, 'trace-hybrid')
    events = trace(lesson, 'trace-hybrid')
    assert [w for w, _ in events[:2]] == ['Call', 'Call']  # the biases
    assert all(n.endswith('_bias') for _, n in events[:2])
    forwards = [i for i, (w, _) in enumerate(events) if w == 'Forward']
    inits = [i for i, (w, _) in enumerate(events) if w == 'Init']
    assert len(forwards) == 2 and len(inits) == 2
    assert max(forwards) < min(inits)  # every layer traced before any init
    assert all(out[i].endswith('on Symbol') for i in forwards)


def test_unknown_dimension_is_0_in_nd_and_minus_1_in_np(lesson):
    c = cell(lesson, 'unknown-np')
    assert 'npx.set_np()' in c.source and 'npx.reset_np()' in c.source
    assert lines(lesson, 'unknown-np') == ['np: (256, -1)', 'nd: (256, 0)']


def test_parameter_names_in_the_prose_are_the_printed_ones():
    """A name such as `dense8_bias` in the text must be one the notebook
    really printed: the numbering depends on how many layers came before."""
    for chapter in ('deferred_init', 'init_errors', 'conv_shapes',
                    'exercise_solutions'):
        nb = evaluated(chapter)
        printed = '\n'.join(text(c) for c in nb.cells
                            if c.cell_type == 'code')
        prose = '\n'.join(c.source for c in nb.cells
                          if c.cell_type == 'markdown')
        for name in set(re.findall(r'\b(?:dense|conv)\d+(?:_weight|_bias)?\b',
                                   prose)):
            assert name in printed, f'{chapter}: {name} never printed'


def test_params_is_empty_for_a_sequential_and_warns_nothing():
    nb = evaluated('init_errors')
    c = cell(nb, 'params-vs-collect')
    assert lines(nb, 'params-vs-collect') == [
        '[]', "['dense0_weight', 'dense0_bias', 'dense1_weight', "
        "'dense1_bias']"]
    assert not [o for o in c.outputs if o.get('name') == 'stderr']


def dense_weight(found):
    return next(v for k, v in found.items() if k.startswith('dense')
                and k.endswith('weight'))


def smallest_side():
    """The smallest square image get_conv_net() accepts: each 5x5 valid
    convolution needs 5 rows, each 2x2 pooling 2."""
    side = 1
    while True:
        s, ok = side, True
        for kernel, shrink in ((5, lambda v: v - 4), (2, lambda v: v // 2)) * 2:
            ok = ok and s >= kernel
            s = shrink(s)
        if ok:
            return side
        side += 1


def test_second_convolution_takes_its_channels_from_the_first():
    small = shapes(text(cell(evaluated('conv_shapes'), 'conv-small')))
    convs = [v for k, v in small.items() if k.startswith('conv')
             and k.endswith('weight')]
    assert convs[0][1] == 1            # the image's one channel
    assert convs[1][1] == convs[0][0]  # the first layer's `channels`


def test_summary_shows_shapes_and_is_a_first_forward_pass():
    nb = evaluated('conv_shapes')
    out = text(cell(nb, 'conv-large'))
    assert 'summary(' in cell(nb, 'conv-large').source
    assert 'net_large(' not in cell(nb, 'conv-large').source
    assert re.search(r'Flatten-\d+\s+\(1, %d\)' % conv_dense_inputs(64), out)
    assert re.search(r'Dense-\d+\s+\(1, 10\)\s+%d\b'
                     % (conv_dense_inputs(64) * 10 + 10), out)
    assert out.count('<Symbol ') == 2  # the ReLUs during shape inference
    after = shapes(text(cell(nb, 'conv-large-shapes')))
    assert dense_weight(after) == (10, conv_dense_inputs(64))


def test_the_smallest_resolution_works_and_one_less_fails():
    nb = evaluated('conv_shapes')
    side = smallest_side()
    assert side == 16 and '(1, 1, 16, 16)' in cell(nb, 'conv-min').source
    assert lines(nb, 'conv-min') == [f'(10, {conv_dense_inputs(side)})']
    assert f'({side - 1}, {side - 1})' in cell(nb, 'conv-too-small').source \
        or f'1, {side - 1}, {side - 1}' in cell(nb, 'conv-too-small').source
    err = text(cell(nb, 'conv-too-small'))
    assert err.startswith('MXNetError: ')
    assert 'kernel size (2) exceeds input (1 padded to 1)' in err


def test_in_channels_and_in_units_force_initialization_in_a_cnn():
    nb = evaluated('conv_shapes')
    c = cell(nb, 'conv-forced')
    assert c.source.count('in_channels=') == 2 and 'in_units=' in c.source
    assert 'net(' not in c.source
    assert [s for _, s in init_lines(text(c))] == [
        (6, 1, 5, 5), (16, 6, 5, 5), (10, conv_dense_inputs(28))]
    err = text(cell(nb, 'conv-forced-large'))
    assert f'Provided = [10,{conv_dense_inputs(28)}]' in err
    assert f'(10,{conv_dense_inputs(64)})' in err


def test_figure_labels_are_in_both_languages():
    src = cell(evaluated('conv_shapes'), 'figure').source
    ticks = re.search(r'set_xticks\(x, \[(.*?)\]\)', src)[1]
    labels = re.findall(r"'([^']*)'", ticks)
    assert len(labels) == 3
    assert all(re.search('[a-z]', l) and re.search('[\uac00-\ud7a3]', l)
               for l in labels), labels


# --- the solutions of every exercise ---------------------------------------

@pytest.fixture(scope='module')
def solutions():
    return evaluated('exercise_solutions')


def test_partial_in_units_is_decided_per_parameter(solutions):
    state = dict(l.rsplit(' ', 1) for l in lines(solutions, 'partial-state'))
    ready = {k.split()[0]: v for k, v in state.items()}
    # The second layer's bias is ready although its weight waits.
    assert ready == {'dense0_weight': 'True', 'dense0_bias': 'True',
                     'dense1_weight': 'False', 'dense1_bias': 'True'}


def test_one_handler_tells_the_two_errors_apart(solutions):
    assert lines(solutions, 'handler') == ['True']  # a subclass of RuntimeError
    src = cell(solutions, 'handler').source
    assert src.index('except DeferredInitializationError') < \
        src.index('except RuntimeError')
    out = lines(solutions, 'handler-stages')
    assert out[0].startswith('not initialized') and \
        out[1].startswith('deferred') and out[2] == '(256, 20)'


def test_a_second_initialize_warns_about_the_biases_only(solutions):
    out = lines(solutions, 'twice')
    names = [re.match(r"Parameter '(\w+)' is already initialized", l)[1]
             for l in out]
    assert len(names) == 2 and all(n.endswith('_bias') for n in names)


def test_hybridized_width_error_names_the_graph_node(solutions):
    hybrid = text(cell(solutions, 'hybrid-width'))
    plain = text(cell(solutions, 'different-width'))
    for out in (hybrid, plain):
        assert 'Provided = [256,20], inferred shape=(256,30)' in out
    assert re.search(r'Error in operator dense\d+_fwd', hybrid)
    assert 'Error in operator' not in plain


def test_conv_exercise_answers_match_the_rule(solutions):
    assert lines(solutions, 'conv32') == [f'(10, {conv_dense_inputs(32)})']
    color = text(cell(solutions, 'color'))
    found = shapes(color)
    convs = [v for k, v in found.items() if k.startswith('conv')
             and k.endswith('weight')]
    assert convs == [(6, 3, 5, 5), (16, 6, 5, 5)]
    assert dense_weight(found) == (10, conv_dense_inputs(28))
    assert color.strip().splitlines()[-1] == str(6 * 3 * 5 * 5 + 6)
    # global average pooling: 16 features whatever the resolution
    assert lines(solutions, 'gap') == ['(1, 10) (10, 16)'] * 2


def exercises(chapter):
    """The items of each language block of a chapter's Exercises section."""
    md = (ROOT / 'chapters' / f'{chapter}.md').read_text('utf-8')
    section = md.split('## Exercises / 연습 문제', 1)[1]
    return {lang: re.split(r'\n(?=1\. )', langs_block.strip())
            for lang, langs_block in re.findall(
                r'^::: (en|ko)\n(.*?)^:::$', section, re.M | re.S)}


@pytest.mark.parametrize('chapter', ['deferred_init', 'init_errors',
                                     'conv_shapes'])
def test_every_exercise_links_to_an_executed_solution(chapter):
    solutions_md = (ROOT / 'chapters' / 'exercise_solutions.md').read_text(
        'utf-8')
    items = exercises(chapter)
    assert len(items['en']) == len(items['ko']) == 3
    for en, ko in zip(items['en'], items['ko']):
        label = re.search(r':numref:`(sec_sol_\w+)`', en)[1]
        assert f':numref:`{label}`' in ko
        # the solution section exists and runs code
        section = solutions_md.split(f':label:`{label}`', 1)[1]
        section = re.split(r'^#{2,3} ', section, maxsplit=1, flags=re.M)[0]
        assert '```{.python .input' in section, label


def test_the_elsewhere_section_is_marked_and_cited():
    md = (ROOT / 'chapters' / 'deferred_init.md').read_text('utf-8')
    section = md.split('## Deferred Initialization Elsewhere', 1)[1]
    section = section.split('\n## ', 1)[0]
    assert '```' not in section  # nothing here is executed ...
    assert 'nothing in this section is' in section and 'executed' in section
    assert '실행한 결과가 아닙니다' in section  # ... and it says so
    for lang in ('en', 'ko'):
        blocks = re.findall(rf'^::: {lang}\n(.*?)^:::$', section, re.M | re.S)
        table = next(b for b in blocks if b.startswith('|'))
        header, _, *rows = table.strip().splitlines()
        # the three questions of the issue, one column each
        assert len(header.strip('|').split('|')) == 4
        assert [r.split('|')[1].strip() for r in rows] == [
            'MXNet Gluon (this book)' if lang == 'en' else 'MXNet Gluon (이 책)',
            'PyTorch `nn.LazyLinear`', 'Keras', 'Flax Linen', 'Flax NNX']
        for row in rows[1:]:  # every other framework's entry cites a source
            cells = [c.strip() for c in row.strip().strip('|').split('|')]
            assert len(cells) == 4
            assert all(re.search(r'\[\d\]', c) for c in cells[1:]), row
        cited = {int(n) for n in re.findall(r'\[(\d)\]', table)}
        sources = next(b for b in blocks if b.startswith('1. '))
        urls = re.findall(r'<(https://[^>]+)>', sources)
        assert len(urls) == len(cited) == max(cited)
    page = (HTML / 'chapters' / 'deferred_init.html').read_text('utf-8')
    assert page.count('<table') == 2  # one per language


@pytest.mark.parametrize('path', ['README.md', 'index.md',
                                  'chapters/deferred_init.md'])
def test_mxnet_status_is_stated_in_both_languages(path):
    text_ = (ROOT / path).read_text('utf-8')
    assert re.search(r'retired to the Apache Attic in\s+2023', text_)
    assert re.search(r'2023년에 Apache\s+Attic', text_)
    assert 'still installs and runs' in text_
