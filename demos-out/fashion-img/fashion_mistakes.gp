# Written by `tapegrad demo fashion`. Run it in this directory:
#   gnuplot fashion_mistakes.gp
set terminal pngcairo size 1040,360 enhanced font 'Helvetica,11' background rgb 'white'
set output 'fashion_mistakes.png'
set datafile separator '\t'
set grid lc rgb '#dddddd'
set key noautotitle
set datafile missing 'nan'
set title "The most confident mistakes: the answer, its probability, the truth"
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
set yrange [84:-0.5]
set palette defined (-60 '#dde5f0', -1 '#dde5f0', 0 'white', 255 'black')
set cbrange [-60:255]
set label "Sneaker 99.99%" at 13.5,4 center front font ',10' tc rgb '#c0392b'
set label "(true: Sandal)" at 13.5,10.5 center front font ',9' tc rgb '#555555'
set label "Dress 99.96%" at 43.5,4 center front font ',10' tc rgb '#c0392b'
set label "(true: Trouser)" at 43.5,10.5 center front font ',9' tc rgb '#555555'
set label "Dress 99.93%" at 73.5,4 center front font ',10' tc rgb '#c0392b'
set label "(true: T-shirt/top)" at 73.5,10.5 center front font ',9' tc rgb '#555555'
set label "Sneaker 99.88%" at 103.5,4 center front font ',10' tc rgb '#c0392b'
set label "(true: Sandal)" at 103.5,10.5 center front font ',9' tc rgb '#555555'
set label "Dress 99.34%" at 133.5,4 center front font ',10' tc rgb '#c0392b'
set label "(true: Trouser)" at 133.5,10.5 center front font ',9' tc rgb '#555555'
set label "Ankle boot 98.72%" at 163.5,4 center front font ',10' tc rgb '#c0392b'
set label "(true: Sneaker)" at 163.5,10.5 center front font ',9' tc rgb '#555555'
set label "Sneaker 98.64%" at 193.5,4 center front font ',10' tc rgb '#c0392b'
set label "(true: Ankle boot)" at 193.5,10.5 center front font ',9' tc rgb '#555555'
set label "Dress 98.41%" at 223.5,4 center front font ',10' tc rgb '#c0392b'
set label "(true: Trouser)" at 223.5,10.5 center front font ',9' tc rgb '#555555'
set label "Sneaker 97.62%" at 13.5,46 center front font ',10' tc rgb '#c0392b'
set label "(true: Ankle boot)" at 13.5,52.5 center front font ',9' tc rgb '#555555'
set label "Sneaker 97.50%" at 43.5,46 center front font ',10' tc rgb '#c0392b'
set label "(true: Ankle boot)" at 43.5,52.5 center front font ',9' tc rgb '#555555'
set label "Sneaker 97.34%" at 73.5,46 center front font ',10' tc rgb '#c0392b'
set label "(true: Ankle boot)" at 73.5,52.5 center front font ',9' tc rgb '#555555'
set label "T-shirt/top 96.99%" at 103.5,46 center front font ',10' tc rgb '#c0392b'
set label "(true: Shirt)" at 103.5,52.5 center front font ',9' tc rgb '#555555'
set label "Dress 96.83%" at 133.5,46 center front font ',10' tc rgb '#c0392b'
set label "(true: Shirt)" at 133.5,52.5 center front font ',9' tc rgb '#555555'
set label "Dress 96.74%" at 163.5,46 center front font ',10' tc rgb '#c0392b'
set label "(true: Shirt)" at 163.5,52.5 center front font ',9' tc rgb '#555555'
set label "T-shirt/top 96.65%" at 193.5,46 center front font ',10' tc rgb '#c0392b'
set label "(true: Dress)" at 193.5,52.5 center front font ',9' tc rgb '#555555'
set label "Sandal 95.77%" at 223.5,46 center front font ',10' tc rgb '#c0392b'
set label "(true: Bag)" at 223.5,52.5 center front font ',9' tc rgb '#555555'
plot 'fashion_mistakes.tsv' matrix with image
