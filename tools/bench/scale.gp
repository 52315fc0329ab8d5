# SPDX-License-Identifier: GPL-2.0
# Scale curves of rm_bench: cost of one map against live mappings, over
# anonymous memory (columns 2-5 of scale.dat) and into one window (6-9)
# (gnuplot -e "dir='DIR'" scale.gp).
if (!exists("dir")) dir = "."
set terminal pngcairo size 960,600 font "sans,10"
set output dir."/scale.png"
set title "remote\\_mapping: cost of the n-th map in one introspector (QEMU TCG)"
set xlabel "live mappings n"
set ylabel "microseconds per operation (median per block)"
set y2label "map at n / map in a fresh introspector (interleaved)"
set key top left box opaque
set grid
set datafile missing "NaN"
# Up to twice the slowest block median: the block means' spikes (other jobs
# preempting the VM) would otherwise flatten the curves.
stats dir."/scale.dat" using 2 nooutput
set yrange [0:2 * STATS_max]
set y2range [0:3]
set ytics nomirror
set y2tics 0.5
set format x "%.0s%c"
plot dir."/scale.dat" using 1:2 with linespoints pt 7 ps 0.5 lw 2 lc 1 title "map, anonymous memory (median of the block)", \
     "" using 1:3 with lines lw 1 dt 2 lc 1 title "map, anonymous memory (block mean)", \
     "" using 1:4 with linespoints pt 5 ps 0.4 lw 1 lc 1 title "first touch, anonymous memory", \
     "" using 1:5 axes x1y2 with linespoints pt 9 ps 0.6 lw 2 lc 1 dt 3 title "ratio to n = 1, anonymous memory (right axis)", \
     "" using 1:6 with linespoints pt 7 ps 0.5 lw 2 lc 2 title "map, one window (median of the block)", \
     "" using 1:7 with lines lw 1 dt 2 lc 2 title "map, one window (block mean)", \
     "" using 1:8 with linespoints pt 5 ps 0.4 lw 1 lc 2 title "first touch, one window", \
     "" using 1:9 axes x1y2 with linespoints pt 9 ps 0.6 lw 2 lc 2 dt 3 title "ratio to n = 1, one window (right axis)", \
     1.5 axes x1y2 with lines dt 3 lc rgb "black" title "target 1.5x (right axis)"
