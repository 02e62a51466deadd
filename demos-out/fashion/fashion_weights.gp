# Written by `tapegrad demo fashion`. Run it in this directory:
#   gnuplot fashion_weights.gp
set terminal pngcairo size 820,900 enhanced font 'Helvetica,11' background rgb 'white'
set output 'fashion_weights.png'
set datafile separator '\t'
set grid lc rgb '#dddddd'
set key noautotitle
set datafile missing 'nan'
set title "The first layer's weights of units 1-32 (top half) and their change\nsince initialisation (bottom half): training moved them by 23% of their size"
unset grid
unset key
unset tics
unset border
unset colorbox
set size ratio -1
set lmargin 1
set rmargin 1
set bmargin 1
set xrange [-0.5:238]
set yrange [240:-0.5]
set palette defined (-1.5 '#dddddd', -1.01 '#dddddd', -1 '#2c6db4', 0 'white', 1 '#c0392b')
set cbrange [-1.5:1]
plot 'fashion_weights.tsv' matrix with image
