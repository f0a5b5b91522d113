"""Stop words for topic discovery in the crowd's languages: function words plus the words every crowd message uses.

English's list comes first. The others are short hand-made lists (the most frequent function
words of each language, written with and without accents as people type them, and the crowd-work words
"task", "project", "thanks", "please" in that language). Crowd chat mixes in English ("mi task", "payment
abhi tak nahi aaya"), so each language's set also holds the English one.
"""

import functools

# English function words plus words every crowd-work message uses: they would otherwise top
# every discovery list ("task", "project", "please").
ENGLISH_STOP_WORDS = frozenset(
    """a about above after again against all almost also am an and any are aren't as at be
    because been before being below between both but by can can't cannot could couldn't did
    didn't do does doesn't doing don't down during each even ever every few for from further
    get gets getting got had hadn't has hasn't have haven't having he her here hers herself him
    himself his how i i'd i'll i'm i've if in into is isn't it it's its itself just let's like
    me more most much my myself need needs no nor not now of off on once only or other our ours
    ourselves out over own really same she should shouldn't so some such than that that's the
    their theirs them themselves then there there's these they they're this those through to too
    under until up us very was wasn't we we're were weren't what what's when where which while
    who whom why will with won't would wouldn't you you're your yours yourself yourselves
    already always another anyone anything around back day days else everyone still thing
    things today week weeks yesterday time times make made one two lot lots way well yes yeah ok
    okay hi hello hey dear thanks thank please team guys everyone anybody someone something
    task tasks project projects work working worked job jobs know think want going go see said
    say says since last first new also though may might must shall us via etc im dont cant ive
    didnt doesnt isnt wont""".split()
)
_OWN = {
    "es": """a al algo algun alguna algunas alguno algunos ante antes aqui aquí asi así aun aún bien cada casi
        como cómo con contra cual cuál cuando cuándo de del desde donde dónde dos el él ella ellas ellos en entre
        era eran es esa esas ese eso esos esta está estaba estamos estan están estar estas este esto estos estoy
        fue fueron ha han has hasta hay he hoy la las le les lo los mas más me mi mis mismo mucho muy nada ni no
        nos nosotros nuestra nuestro o otra otro otros para pero poco por porque que qué quien quién se sea ser
        si sí siempre sin sobre solo sólo son su sus tambien también tan te tengo tiene tienen todavia todavía
        todo todos tu tú un una uno unos usted ustedes va vamos y ya yo hola gracias favor porfa saludos alguien
        tarea tareas proyecto proyectos trabajo semana dia día dias días ayer mañana hacer hace hecho ver sigue
        sigo otra vez ahora despues después gente chicos equipo ok""",
    "pt": """a ao aos aquela aquele aqui as ate até com como da das de dela dele deles depois do dos e é ela
        ele eles em entre era essa esse esta está estamos estao estão estar este estou eu foi foram ha há isso
        isto ja já la lá mais mas me mesmo meu meus minha minhas muito na nada nao não nas nem no nos nós nossa
        nosso num numa o os ou para pela pelo por porque pra qual quando que quem se sem ser seu seus sim so só
        sua suas tambem também tem têm tenho to tô tudo um uma umas uns voce você voces vocês vai vou ainda agora
        ola olá oi obrigado obrigada obg por favor pessoal galera alguem alguém tarefa tarefas projeto projetos
        trabalho semana dia dias ontem hoje amanha amanhã fazer faz feito ver outra vez equipe ok""",
    "fr": """a à ai au aux avec avez avons c ça ce cela ces cet cette chez comme d dans de des deja déjà donc du
        elle elles en encore est et été être eu fait il ils j je l la le les leur lui m ma mais me mes moi mon
        n ne ni nos notre nous on ou où par pas peu plus pour pourquoi qu quand que qui quoi s sa sans se ses si
        son sont sur ta te tes toi ton tous tout toujours très tres tu un une vos votre vous y bonjour salut
        merci svp plait plaît quelqu quelqu'un tâche tâches tache taches projet projets travail semaine jour
        jours hier demain faire voir fois aujourd aujourd'hui maintenant équipe equipe ok""",
    "id": """ada adalah agar akan aku anda apa apakah atau bagaimana bahwa baru belum beberapa begitu bisa
        boleh buat bukan cuma dan dari dengan di dia ga gak hanya harus ini itu jadi jika juga kalau kami kamu
        karena ke kenapa kita lagi lah mau masih mereka mohon nggak nya oleh pada para pun saat saja sama sampai
        sangat saya sebagai sedang sejak selalu semua sudah supaya tapi telah tentang tidak untuk walau yang
        aja sih dong deh kok banget udah gimana terima kasih makasih tolong halo hai teman teman-teman tugas
        proyek kerja kerjaan minggu hari kemarin besok sekarang buat bikin lihat tim ok""",
    "tl": """ako akin aking amin ang ano at ay ba bakit dahil din dito doon eh ha hindi ikaw ito iyan iyon ka
        kami kanila kanya kay kayo ko kung lahat lang lamang mga mo na naman namin nang natin ng nga ni nila
        nito niya niyo noon pa pag para pero po rin sa sila siya tayo talaga yan yon yung wala meron may mayroon
        kasi sana paano saan kailan ganun ganito salamat pakiusap paki hello guys task tasks project trabaho
        linggo araw kahapon bukas ngayon gawin gawa tingnan team ok""",
    "hi": """hai hain tha thi the ho hoon hun hu nahi nahin nhi na kya ka ki ke ko se me mein main mai mera
        meri mere hum hamara hamari humne aap aapka apna apni tum tu yeh ye woh wo vo koi kuch sab aur bhi ya
        to toh par pe tak liye abhi ab phir fir kab kaise kyun kyu jab tab yahan wahan kar karo karna kiya kiye
        raha rahi rahe gaya gayi gaye hua hui hue diya di de do bahut bohot bhai yaar ji haan acha accha theek
        thik shukriya dhanyavaad please kaam task tasks project din hafta aaj kal team ok""",
    "de": """aber alle als also am an auch auf aus bei bin bis bitte da dann das dass dem den der des die dies
        diese doch du ein eine einem einen einer es für fur hab habe haben hat hier ich ihr im immer in ist ja
        jetzt kann kein keine mal mein meine mit nach nicht noch nur oder schon sehr sich sie sind so um und uns
        von vor war was wenn wie wir wird zu zum zur danke hallo leute aufgabe aufgaben projekt projekte arbeit
        woche tag tage heute gestern morgen team ok""",
    "it": """a ad al alla anche ancora che chi ci come con da dal dei del della di e è ed gli ha hanno ho i il
        in io la le lo ma mi mio mia molto ne nei nel nella no non noi o per perché perche più piu poi qua
        quando quella quello questa questo se si sia sono su sua suo tu tutti tutto un una uno voi già gia
        grazie ciao ragazzi compito compiti progetto progetti lavoro settimana giorno giorni oggi ieri domani
        fare team ok""",
    "nl": """aan al alle als bij dan dat de die dit door een en er geen had heb heeft het hier hij hoe ik in
        is ja je jij kan maar me mee met mijn na naar niet nog nu of om ons ook op over te tot u uit van voor
        was wat we wel wij zijn zo zou bedankt dank hallo hoi taak taken project projecten werk week dag dagen
        vandaag gisteren morgen team ok""",
}


@functools.cache
def stop_words(language: str) -> frozenset[str]:
    """Discovery's stop words for a language code: English's, plus the language's own when it has a list."""
    return ENGLISH_STOP_WORDS | frozenset(_OWN.get(language, "").split())


def languages_with_stop_words() -> frozenset[str]:
    """The language codes discovery has its own stop words for (besides English and undetermined)."""
    return frozenset(_OWN)
