# SPDX-License-Identifier: GPL-2.0
# Scale curve of rm_bench: cost of one map against live mappings (gnuplot -e "dir='DIR'" scale.gp).
if (!exists("dir")) dir = "."
set terminal pngcairo size 960,600 font "sans,10"
set output dir."/scale.png"
set title "remote\\_mapping: cost of the n-th map in one introspector (QEMU TCG)"
set xlabel "live mappings n"
set ylabel "microseconds per operation (median per block)"
set y2label "map at n / map in a fresh introspector (interleaved)"
set key top left box opaque
set grid
set yrange [0:*]
set y2range [0:3]
set ytics nomirror
set y2tics 0.5
set format x "%.0s%c"
plot dir."/scale.dat" using 1:2 with linespoints pt 7 ps 0.5 lw 2 title "REMOTE\\_MAPPING\\_MAP (median of the block)", \
     "" using 1:3 with lines lw 1 dt 2 title "REMOTE\\_MAPPING\\_MAP (block mean)", \
     "" using 1:4 with linespoints pt 5 ps 0.4 lw 1 title "first touch of a mapped page", \
     "" using 1:5 axes x1y2 with linespoints pt 9 ps 0.6 lw 2 title "ratio to n = 1 (right axis)", \
     1.5 axes x1y2 with lines dt 3 lc rgb "black" title "target 1.5x (right axis)"
