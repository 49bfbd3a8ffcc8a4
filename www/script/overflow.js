// 100 calls fill the queue; the 101st and later are dropped (with one warning).
for (let i = 0; i < 100; i += 1) window.cuekit.track('tick', { n: i });
for (let i = 0; i < 50; i += 1) window.cuekit.track('late');
