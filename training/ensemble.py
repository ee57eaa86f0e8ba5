#!/usr/bin/env python3
"""Combine several single-model ONNX detectors into one ONNX graph whose per-crop logit is the mean of theirs.

  python3 training/ensemble.py OUT.onnx A.onnx B.onnx [...]

Each member keeps its own weights; they share the `crops` input (N x 3 x 96 x 96) and the output `logits` (N) is
their average, so the TypeScript runtime (crop protocol, mean over crops, Platt scaling) needs no change.
"""
import sys

try:
    import onnx
    from onnx import TensorProto, compose, helper
except ImportError:
    import os
    if sys.executable != '/usr/bin/python3' and os.path.exists('/usr/bin/python3'):
        os.execv('/usr/bin/python3', ['/usr/bin/python3', *sys.argv])
    raise


def build(out_path, member_paths):
    members = [onnx.load(p) for p in member_paths]
    opset = max(m.opset_import[0].version for m in members)
    nodes, inits, value_info = [], [], []
    outs = []
    for i, m in enumerate(members):
        assert [x.name for x in m.graph.input] == ['crops'] and [x.name for x in m.graph.output] == ['logits'], \
            f'{member_paths[i]}: expected input "crops" and output "logits"'
        pm = compose.add_prefix(m, prefix=f'm{i}_')
        nodes.append(helper.make_node('Identity', ['crops'], [f'm{i}_crops'], name=f'm{i}_in'))
        nodes.extend(pm.graph.node)
        inits.extend(pm.graph.initializer)
        value_info.extend(pm.graph.value_info)
        outs.append(f'm{i}_logits')
    nodes.append(helper.make_node('Sum', outs, ['ens_sum'], name='ens_sum'))
    inits.append(helper.make_tensor('ens_scale', TensorProto.FLOAT, [], [1.0 / len(members)]))
    nodes.append(helper.make_node('Mul', ['ens_sum', 'ens_scale'], ['logits'], name='ens_mean'))
    graph = helper.make_graph(
        nodes, 'provmark-detect-ensemble',
        [helper.make_tensor_value_info('crops', TensorProto.FLOAT, ['n', 3, 96, 96])],
        [helper.make_tensor_value_info('logits', TensorProto.FLOAT, ['n'])],
        initializer=inits, value_info=value_info)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', opset)],
                              producer_name='provmark training/ensemble.py')
    model.ir_version = members[0].ir_version
    onnx.checker.check_model(model)
    onnx.save(model, out_path)


if __name__ == '__main__':
    if len(sys.argv) < 4:
        raise SystemExit('usage: ensemble.py OUT.onnx A.onnx B.onnx [...]')
    build(sys.argv[1], sys.argv[2:])
