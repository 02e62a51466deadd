# Written by `tapegrad demo fashion`. Run it in this directory:
#   gnuplot fashion_confusion.gp
set terminal svg size 860,800 dynamic enhanced font 'Helvetica,13' background rgb 'white'
set output 'fashion_confusion.svg'
set datafile separator '\t'
set grid lc rgb '#dddddd'
set key noautotitle
set datafile missing 'nan'
set title 'Test set confusion matrix (counts)'
unset grid
set size ratio -1
set xrange [-0.5:9.5]
set yrange [9.5:-0.5]
set xlabel 'predicted'
set ylabel 'true class'
set palette defined (0 'white', 1 '#9ecae1', 2 '#08519c')
set logscale cb
set cbrange [1:192]
unset colorbox
set style fill solid 1.0 noborder
set xtics rotate by 45 right scale 0 ('T-shirt/top' 0, 'Trouser' 1, 'Pullover' 2, 'Dress' 3, 'Coat' 4, 'Sandal' 5, 'Shirt' 6, 'Sneaker' 7, 'Bag' 8, 'Ankle boot' 9)
set ytics scale 0 ('T-shirt/top' 0, 'Trouser' 1, 'Pullover' 2, 'Dress' 3, 'Coat' 4, 'Sandal' 5, 'Shirt' 6, 'Sneaker' 7, 'Bag' 8, 'Ankle boot' 9)
set datafile separator whitespace
dark = 22.4412
plot 'fashion_confusion.tsv' matrix using 1:2:(0.5):(0.5):($3+1) with boxxyerror fc palette, \
     '' matrix using 1:2:($3 >= dark ? sprintf('%d', $3) : '') with labels font ',11' tc rgb 'white', \
     '' matrix using 1:2:($3 < dark ? sprintf('%d', $3) : '') with labels font ',11' tc rgb 'black'
