# SPDX-License-Identifier: GPL-2.0
# Ratio bars of rm_bench: each target's measured ratio against its limit (gnuplot -e "dir='DIR'" ratios.gp).
if (!exists("dir")) dir = "."
set terminal pngcairo size 1120,640 font "sans,10"
set output dir."/ratios.png"
set title "remote\\_mapping targets: measured ratio / target limit (1 = at the target, below 1 = met; grey: reference)"
set ylabel "share of the target's limit used (log)"
set logscale y
set yrange [*:*]
set grid ytics
set style fill solid 0.8 border -1
set boxwidth 0.6
set xtics rotate by -25 left noenhanced
set bmargin 11
set rmargin 22
set key top left
set offsets 0.5, 0.5, 0, 0
plot dir."/ratios.dat" using 1:3:($5 > 0 ? 0x2ca02c : $5 < 0 ? 0x999999 : 0xd62728):xtic(2) with boxes lc rgb variable notitle, \
     "" using 1:3:4 with labels offset 0,0.8 noenhanced notitle, \
     1 with lines dt 2 lw 2 lc rgb "black" title "target limit"
