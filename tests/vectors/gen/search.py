from hotp import *
k=b'12345678901234567890'
# first step >= 1700000000/30 whose 6-digit sha1 code starts with 0
s=1700000000//30
while not hotp('sha1',k,s,6).startswith('0'): s+=1
print('leading0', s, s*30, hotp('sha1',k,s,6))
s=1700000000//30
while not hotp('sha1',k,s,6).startswith('00'): s+=1
print('leading00', s, s*30, hotp('sha1',k,s,6))
s=1700000000//30
while hotp('sha1',k,s,6)!='000000': s+=1
print('zeros', s, s*30, hotp('sha1',k,s,6))
# 3-digit collisions: code(T-1)==code(T+1)!=code(T)
s=1700000000//30
while True:
    a,b,c=hotp('sha1',k,s-1,3),hotp('sha1',k,s,3),hotp('sha1',k,s+1,3)
    if a==c and a!=b: break
    s+=1
print('collide', s, s*30, a,b,c)
# 3-digit: code(T)==code(T-1) != others
s=1700000000//30
while True:
    a,b,c=hotp('sha1',k,s-1,3),hotp('sha1',k,s,3),hotp('sha1',k,s+1,3)
    if a==b and b!=c: break
    s+=1
print('collide-cur-past', s, s*30, a,b,c)
