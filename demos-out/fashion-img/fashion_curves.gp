# Written by `tapegrad demo fashion`. Run it in this directory:
#   gnuplot fashion_curves.gp
set terminal svg size 1100,420 dynamic enhanced font 'Helvetica,13' background rgb 'white'
set output 'fashion_curves.svg'
set datafile separator '\t'
set grid lc rgb '#dddddd'
set key noautotitle
set datafile missing 'nan'
set multiplot layout 1,2 title 'Fashion-MNIST, 784-256-256-10 ReLU MLP'
set xlabel 'epoch'
set key bottom right
set title 'training loss (cross-entropy)'
plot 'fashion_epochs.tsv' using 1:2 with linespoints lw 2 pt 7 lc rgb '#2c6db4' title 'train'
set title 'accuracy'
set format y '%.0f%%'
plot 'fashion_epochs.tsv' using 1:(100*$3) with linespoints lw 2 pt 7 lc rgb '#2c6db4' title 'train', \
     '' using 1:(100*$4) with linespoints lw 2 pt 7 lc rgb '#c0392b' title 'test'
unset multiplot
