# Written by `tapegrad demo diagnostics`. Run it in this directory:
#   gnuplot diagnostics.gp
set terminal svg size 1500,1250 dynamic enhanced font 'Helvetica,13' background rgb 'white'
set output 'diagnostics.svg'
set datafile separator '\t'
set grid lc rgb '#dddddd'
set key noautotitle
set datafile missing 'nan'
set multiplot layout 3,3 title 'A 32-100x5-10 tanh MLP: activations and gradients at initialisation, update:data ratio while training'
set key top right font ',9'
set title 'bad init: tanh outputs (% saturated)'
set xlabel 't'
set ylabel 'density'
set xrange [-1:1]
set yrange [0:*]
plot 'diagnostics_act_bad.tsv' using 1:2 with lines lw 2 lc rgb '#1f77b4' title columnhead(2), \
     'diagnostics_act_bad.tsv' using 1:3 with lines lw 2 lc rgb '#ff7f0e' title columnhead(3), \
     'diagnostics_act_bad.tsv' using 1:4 with lines lw 2 lc rgb '#2ca02c' title columnhead(4), \
     'diagnostics_act_bad.tsv' using 1:5 with lines lw 2 lc rgb '#d62728' title columnhead(5), \
     'diagnostics_act_bad.tsv' using 1:6 with lines lw 2 lc rgb '#9467bd' title columnhead(6)
set title 'bad init: gradient dL/dt at each layer'
set xlabel 'dL/dt'
set xrange [*:*]
plot 'diagnostics_grad_bad.tsv' using 1:2 with lines lw 2 lc rgb '#1f77b4' title columnhead(2), \
     'diagnostics_grad_bad.tsv' using 1:3 with lines lw 2 lc rgb '#ff7f0e' title columnhead(3), \
     'diagnostics_grad_bad.tsv' using 1:4 with lines lw 2 lc rgb '#2ca02c' title columnhead(4), \
     'diagnostics_grad_bad.tsv' using 1:5 with lines lw 2 lc rgb '#d62728' title columnhead(5), \
     'diagnostics_grad_bad.tsv' using 1:6 with lines lw 2 lc rgb '#9467bd' title columnhead(6)
set title 'bad init: update:data ratio'
set xlabel 'SGD step'
set ylabel 'log10(std(lr g) / std(W))'
set xrange [0:200]
set yrange [-7:0]
plot 'diagnostics_ratio.tsv' using 1:2 with lines lw 1 lc rgb '#1f77b4' title 'W1', \
     'diagnostics_ratio.tsv' using 1:3 with lines lw 1 lc rgb '#ff7f0e' title 'W2', \
     'diagnostics_ratio.tsv' using 1:4 with lines lw 1 lc rgb '#2ca02c' title 'W3', \
     'diagnostics_ratio.tsv' using 1:5 with lines lw 1 lc rgb '#d62728' title 'W4', \
     'diagnostics_ratio.tsv' using 1:6 with lines lw 1 lc rgb '#9467bd' title 'W5', \
     'diagnostics_ratio.tsv' using 1:7 with lines lw 1 lc rgb '#555555' title 'W out', \
     -3 with lines lw 2 dt 2 lc rgb 'black' title '1e-3'
set title 'good init: tanh outputs (% saturated)'
set xlabel 't'
set ylabel 'density'
set xrange [-1:1]
set yrange [0:*]
plot 'diagnostics_act_good.tsv' using 1:2 with lines lw 2 lc rgb '#1f77b4' title columnhead(2), \
     'diagnostics_act_good.tsv' using 1:3 with lines lw 2 lc rgb '#ff7f0e' title columnhead(3), \
     'diagnostics_act_good.tsv' using 1:4 with lines lw 2 lc rgb '#2ca02c' title columnhead(4), \
     'diagnostics_act_good.tsv' using 1:5 with lines lw 2 lc rgb '#d62728' title columnhead(5), \
     'diagnostics_act_good.tsv' using 1:6 with lines lw 2 lc rgb '#9467bd' title columnhead(6)
set title 'good init: gradient dL/dt at each layer'
set xlabel 'dL/dt'
set xrange [*:*]
plot 'diagnostics_grad_good.tsv' using 1:2 with lines lw 2 lc rgb '#1f77b4' title columnhead(2), \
     'diagnostics_grad_good.tsv' using 1:3 with lines lw 2 lc rgb '#ff7f0e' title columnhead(3), \
     'diagnostics_grad_good.tsv' using 1:4 with lines lw 2 lc rgb '#2ca02c' title columnhead(4), \
     'diagnostics_grad_good.tsv' using 1:5 with lines lw 2 lc rgb '#d62728' title columnhead(5), \
     'diagnostics_grad_good.tsv' using 1:6 with lines lw 2 lc rgb '#9467bd' title columnhead(6)
set title 'good init: update:data ratio'
set xlabel 'SGD step'
set ylabel 'log10(std(lr g) / std(W))'
set xrange [0:200]
set yrange [-7:0]
plot 'diagnostics_ratio.tsv' using 1:8 with lines lw 1 lc rgb '#1f77b4' title 'W1', \
     'diagnostics_ratio.tsv' using 1:9 with lines lw 1 lc rgb '#ff7f0e' title 'W2', \
     'diagnostics_ratio.tsv' using 1:10 with lines lw 1 lc rgb '#2ca02c' title 'W3', \
     'diagnostics_ratio.tsv' using 1:11 with lines lw 1 lc rgb '#d62728' title 'W4', \
     'diagnostics_ratio.tsv' using 1:12 with lines lw 1 lc rgb '#9467bd' title 'W5', \
     'diagnostics_ratio.tsv' using 1:13 with lines lw 1 lc rgb '#555555' title 'W out', \
     -3 with lines lw 2 dt 2 lc rgb 'black' title '1e-3'
set title 'batch norm: tanh outputs (% saturated)'
set xlabel 't'
set ylabel 'density'
set xrange [-1:1]
set yrange [0:*]
plot 'diagnostics_act_bn.tsv' using 1:2 with lines lw 2 lc rgb '#1f77b4' title columnhead(2), \
     'diagnostics_act_bn.tsv' using 1:3 with lines lw 2 lc rgb '#ff7f0e' title columnhead(3), \
     'diagnostics_act_bn.tsv' using 1:4 with lines lw 2 lc rgb '#2ca02c' title columnhead(4), \
     'diagnostics_act_bn.tsv' using 1:5 with lines lw 2 lc rgb '#d62728' title columnhead(5), \
     'diagnostics_act_bn.tsv' using 1:6 with lines lw 2 lc rgb '#9467bd' title columnhead(6)
set title 'batch norm: gradient dL/dt at each layer'
set xlabel 'dL/dt'
set xrange [*:*]
plot 'diagnostics_grad_bn.tsv' using 1:2 with lines lw 2 lc rgb '#1f77b4' title columnhead(2), \
     'diagnostics_grad_bn.tsv' using 1:3 with lines lw 2 lc rgb '#ff7f0e' title columnhead(3), \
     'diagnostics_grad_bn.tsv' using 1:4 with lines lw 2 lc rgb '#2ca02c' title columnhead(4), \
     'diagnostics_grad_bn.tsv' using 1:5 with lines lw 2 lc rgb '#d62728' title columnhead(5), \
     'diagnostics_grad_bn.tsv' using 1:6 with lines lw 2 lc rgb '#9467bd' title columnhead(6)
set title 'batch norm: update:data ratio'
set xlabel 'SGD step'
set ylabel 'log10(std(lr g) / std(W))'
set xrange [0:200]
set yrange [-7:0]
plot 'diagnostics_ratio.tsv' using 1:14 with lines lw 1 lc rgb '#1f77b4' title 'W1', \
     'diagnostics_ratio.tsv' using 1:15 with lines lw 1 lc rgb '#ff7f0e' title 'W2', \
     'diagnostics_ratio.tsv' using 1:16 with lines lw 1 lc rgb '#2ca02c' title 'W3', \
     'diagnostics_ratio.tsv' using 1:17 with lines lw 1 lc rgb '#d62728' title 'W4', \
     'diagnostics_ratio.tsv' using 1:18 with lines lw 1 lc rgb '#9467bd' title 'W5', \
     'diagnostics_ratio.tsv' using 1:19 with lines lw 1 lc rgb '#555555' title 'W out', \
     -3 with lines lw 2 dt 2 lc rgb 'black' title '1e-3'
unset multiplot
