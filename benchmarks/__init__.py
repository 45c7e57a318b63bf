"""sktag's benchmark suite: one group per question, run from the repository root.

- ``benchmarks.quality``: how good the features and taggers are (transfer to other tasks,
  bag-of-features, games never heard in training);
- ``benchmarks.recipes``: the training runs behind the shipped weights;
- ``benchmarks.release``: turning a trained checkpoint into shipped weights;
- ``benchmarks.corpus``: the second game-music corpus and the scores on its games;
- ``benchmarks.speed``: how fast, in how much memory, at what precision (throughput,
  peers, CPU speed-ups, CPU sharing, precision, memory);
- ``benchmarks.common``: what the scripts share (paths, game_music's clips and teacher
  tags, teacher agreement, writing a results file); ``benchmarks.speed.common``: what
  the speed scripts share (the machine, the clip set, the timing loops).

Each script is run as ``python -m benchmarks.<group>.<script> --help``; the results files, and
the command that writes each, are listed in ``benchmarks/results/README.md``.
"""
