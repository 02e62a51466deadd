# Written by `tapegrad demo fashion`. Run it in this directory:
#   gnuplot fashion_samples.gp
set terminal pngcairo size 1040,660 enhanced font 'Helvetica,11' background rgb 'white'
set output 'fashion_samples.png'
set datafile separator '\t'
set grid lc rgb '#dddddd'
set key noautotitle
set datafile missing 'nan'
set title "The first test images and the network's answers"
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
set yrange [168:-0.5]
set palette defined (-60 '#dde5f0', -1 '#dde5f0', 0 'white', 255 'black')
set cbrange [-60:255]
set label "Sneaker" at 13.5,4 center front font ',10' tc rgb '#c0392b'
set label "(true: Ankle boot)" at 13.5,10.5 center front font ',9' tc rgb '#555555'
set label "Pullover" at 43.5,4 center front font ',10' tc rgb '#1a7f37'
set label "Trouser" at 73.5,4 center front font ',10' tc rgb '#1a7f37'
set label "Trouser" at 103.5,4 center front font ',10' tc rgb '#1a7f37'
set label "Shirt" at 133.5,4 center front font ',10' tc rgb '#1a7f37'
set label "Trouser" at 163.5,4 center front font ',10' tc rgb '#1a7f37'
set label "Coat" at 193.5,4 center front font ',10' tc rgb '#1a7f37'
set label "Shirt" at 223.5,4 center front font ',10' tc rgb '#1a7f37'
set label "Sandal" at 13.5,46 center front font ',10' tc rgb '#1a7f37'
set label "Sneaker" at 43.5,46 center front font ',10' tc rgb '#1a7f37'
set label "Coat" at 73.5,46 center front font ',10' tc rgb '#1a7f37'
set label "Sandal" at 103.5,46 center front font ',10' tc rgb '#1a7f37'
set label "Sandal" at 133.5,46 center front font ',10' tc rgb '#c0392b'
set label "(true: Sneaker)" at 133.5,52.5 center front font ',9' tc rgb '#555555'
set label "Dress" at 163.5,46 center front font ',10' tc rgb '#1a7f37'
set label "Coat" at 193.5,46 center front font ',10' tc rgb '#1a7f37'
set label "Trouser" at 223.5,46 center front font ',10' tc rgb '#1a7f37'
set label "Pullover" at 13.5,88 center front font ',10' tc rgb '#1a7f37'
set label "Pullover" at 43.5,88 center front font ',10' tc rgb '#c0392b'
set label "(true: Coat)" at 43.5,94.5 center front font ',9' tc rgb '#555555'
set label "Bag" at 73.5,88 center front font ',10' tc rgb '#1a7f37'
set label "T-shirt/top" at 103.5,88 center front font ',10' tc rgb '#1a7f37'
set label "Shirt" at 133.5,88 center front font ',10' tc rgb '#c0392b'
set label "(true: Pullover)" at 133.5,94.5 center front font ',9' tc rgb '#555555'
set label "Sneaker" at 163.5,88 center front font ',10' tc rgb '#c0392b'
set label "(true: Sandal)" at 163.5,94.5 center front font ',9' tc rgb '#555555'
set label "Sneaker" at 193.5,88 center front font ',10' tc rgb '#1a7f37'
set label "Sneaker" at 223.5,88 center front font ',10' tc rgb '#c0392b'
set label "(true: Ankle boot)" at 223.5,94.5 center front font ',9' tc rgb '#555555'
set label "Trouser" at 13.5,130 center front font ',10' tc rgb '#1a7f37'
set label "Pullover" at 43.5,130 center front font ',10' tc rgb '#c0392b'
set label "(true: Coat)" at 43.5,136.5 center front font ',9' tc rgb '#555555'
set label "Shirt" at 73.5,130 center front font ',10' tc rgb '#1a7f37'
set label "T-shirt/top" at 103.5,130 center front font ',10' tc rgb '#1a7f37'
set label "Ankle boot" at 133.5,130 center front font ',10' tc rgb '#1a7f37'
set label "Shirt" at 163.5,130 center front font ',10' tc rgb '#c0392b'
set label "(true: Dress)" at 163.5,136.5 center front font ',9' tc rgb '#555555'
set label "Bag" at 193.5,130 center front font ',10' tc rgb '#1a7f37'
set label "Bag" at 223.5,130 center front font ',10' tc rgb '#1a7f37'
plot 'fashion_samples.tsv' matrix with image
