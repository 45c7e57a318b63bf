"""A reproducible game-music training corpus from Debian packages (issue 26, step 1).

``python -m benchmarks.corpus build`` fetches the packages of :data:`packages.PACKAGES`,
verifies every source file against ``manifest.csv``, and cuts 29.1 s, 16 kHz mono MP3 clips
the way shared ``game_music`` was cut, with composers from tags and the committed
``composers.csv``. See ``README.md`` in this folder. Packages in :data:`packages.RESERVED`
are refused everywhere.
"""
