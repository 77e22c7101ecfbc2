//! Built-in name data: a gazetteer of common given names (English and
//! international, about 850, lowercase) and the word lists the person
//! heuristics use — names that are also ordinary words, titles, cue words
//! and capitalised words that are not names.
//!
//! Every list feeds one table, the lexicon, built once on first use: a
//! lowercase word maps to the set of lists it is in ([`list`] bits), so a
//! word is hashed once however many lists a caller asks about.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::LazyLock;

/// FNV-1a: these sets hold short static keys and are probed once per word,
/// where SipHash's setup cost dominates. No untrusted keys are inserted.
#[derive(Default)]
pub(crate) struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &b in bytes {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

/// Which lists a word is in: one bit per list.
pub(crate) mod list {
    /// In the given-name gazetteer.
    pub(crate) const GIVEN: u32 = 1;
    /// A given name that is also a common capitalised word.
    pub(crate) const AMBIGUOUS: u32 = 1 << 1;
    /// A capitalised word that is not a name.
    pub(crate) const STOPWORD: u32 = 1 << 2;
    pub(crate) const TITLE: u32 = 1 << 3;
    pub(crate) const OPENER: u32 = 1 << 4;
    pub(crate) const SIGNOFF: u32 = 1 << 5;
    pub(crate) const HEADER: u32 = 1 << 6;
    /// A single word after which a capitalised word is a name.
    pub(crate) const PHRASE: u32 = 1 << 7;
    pub(crate) const PARTICLE: u32 = 1 << 8;
    /// `Jean-Luc`: a given name before a hyphen. Not in the lexicon: the
    /// person heuristics work it out (see `detect::facts`).
    pub(crate) const HYPHEN_GIVEN: u32 = 1 << 9;
    // the words the multi-word cues look for
    pub(crate) const YOU: u32 = 1 << 10;
    pub(crate) const THANK: u32 = 1 << 11;
    pub(crate) const AS: u32 = 1 << 12;
    pub(crate) const KNOWN: u32 = 1 << 13;
    pub(crate) const IS: u32 = 1 << 14;
    pub(crate) const NAME: u32 = 1 << 15;
    pub(crate) const ME: u32 = 1 << 16;
    pub(crate) const CALL: u32 = 1 << 17;
    /// A given name that is an ordinary lowercase word somewhere.
    pub(crate) const LOWER_WORD: u32 = 1 << 18;
    /// A verb after which `by` or `to` takes a name: `Reported by`.
    pub(crate) const BY_VERB: u32 = 1 << 19;
    pub(crate) const BY: u32 = 1 << 20;
}

/// Common given names, lowercase: about 3,800 from the English-speaking
/// world, Europe, the Middle East, South and East Asia and Africa. Each
/// name of the later, larger part was checked against spelling
/// dictionaries and word-frequency lists of the languages it is likely to
/// meet: a name that is also a lowercase word is in [`LOWER_WORDS`] too, a
/// common capitalised word (a place, a brand, an English word at the start
/// of a sentence) in [`AMBIGUOUS`], and two- and three-letter names that
/// are words or syllables somewhere were left out.
const GIVEN_NAMES: &str = "
aaliyah aaron abdul abdullah abena abigail abraham achieng adam adaeze adebayo adeline aditi aditya
adriana adrian agnes agnieszka ahmad ahmed aiden aisha akira akosua alain alan albert alberto alejandra
alejandro aleksandra alessandra alessandro alessia alex alexa alexander alexandra alexei alexey alexis
alfie alfonso alfred ali alice alicia alina alison allison alyssa amanda amara amelia amelie amélie amina
amir amira amit amy ana anastasia anders andré andrea andreas andrei andres andrés andrew andrzej
andy angela angelica angelo anil anita anja anjali ann anna annabelle anne annette annie annika anthony
antoine antonia antonio anya arjun arnav arthur arturo ashley astrid aurelie aurélie aurora ava avi
axel ayesha ayşe barbara beatrice beatriz belinda ben benedict benjamin bernard bernardo bernd bethany
betty beverly bianca birgit björn bjorn bogdan boris brandon brenda brian brianna bridget brittany
bruce bruno bryan burak caleb callum cameron camila camille carla carlos carmen carolina caroline
carolyn caroline cassandra catalina catherine cecilia celine céline charles charlie charlotte chen
cheryl chiamaka chidi chinedu chioma chloe chloé chris christina christine christopher chukwuemeka
cindy claire claudia colin connor conor constance cristina cynthia daisuke damian dan dana daniel
daniela danielle daniele dariusz david davide deborah debra deepak deepika denise dennis derek
diana diane diego dieter dimitri dmitri dmitry dominic dominik donald donna doris dorothy douglas
duncan dylan edith eduardo edward edwin ekaterina elena eleanor elif elijah elin elisa elisabeth
elizabeth ella ellen ellie elodie élodie emeka emil emilia emilie émilie emily emma emre enrique eric
erica erik erin ernesto esther ethan eugene eva evelyn evie ewa fabian fabio farah fatima fatma
federica federico felipe felix fernanda fernando filip finley finn fiona florian francesca francesco
francisco françois françoise freddie frederick freja freya fumiko gabriel gabriela gabriele gabrielle
gareth gary gavin gemma george georg gerald gerhard giada gianluca gina giovanni giulia giuseppe
gloria gonzalo gordon graham gregory greta gunther gustavo hadiza hamza hana hannah hanna hans harold
haruka haruto harvey hassan heather heidi heike heinz helen helena helga henrik henry hiroshi hiroko
hugo hui hussein hyun ian ibrahim ignacio igor ilya imran inês ines ingrid ioana irina isaac isabel
isabella isabelle isla ivan jacek jacob jacqueline jakob jakub james jamie jana janet janice janine
jasmin jason javier jayden jeffrey jennifer jenny jeremy jerome jessica jesse jing joanna joanne joao
joão joaquin joaquín joel johan johanna john jonas jonathan jorge josé jose josef joseph josephine
joshua joyce juan judith judy julia julian juliana julie julien julius jürgen jurgen justin kai
kamala kamau karen karim karin karina karl katarzyna kate katharina katherine kathleen kathryn katie
katrin kavya kayla keisha keith kelly kenji kenneth kevin khalid kiara kieran kim kimberly kirsten
klaus kofi kojo krishna kristen krzysztof kumar kwame kyle lakshmi lars laura lauren laurent layla lea
léa leah leila lena leon leonardo leonie lei liam lina linda lisa lorenzo louis louise luca lucas
lucia lucía luciana lucy luis luisa lukas luke lydia magdalena maja malik manon manuel marco marcus
margaret margarita margaux maria maría mariam mariana marie marilyn marina mario marisol marjorie
markus marta martha martin martina mary maryam mason mateo mateus mathieu matteo matthew matthias
maximilian maya megan mehmet mei melanie melissa mia michael michaela michel michelle miguel mikael
mikhail milan ming miriam mohamed mohammad mohammed monika monique muhammad mustafa nadia nancy naomi
natalia natalie natasha nathalie nathan neha nia nicholas nicola nicolas nicole niklas nikolai nina
noah noor nora norbert nour obinna oksana olga oliver olivia oluwaseun omar oscar owen pablo pamela
paolo patricia patrick paul paula pauline paulo pavel paweł pawel pedro petra philip philipp philippe
pierre piotr pooja prakash pradeep priya priyanka rachel rafael rahul raj rajesh ramesh ramón ramon
randy raphael raquel rashid raúl raul ravi rebecca renata rené renee ricardo richard rita robert
roberta roberto rodrigo rohan roland roman ronald rosalind ruth ryan sabine sabrina sachin sakura
salma samantha samir samuel sandra sanjay santiago sara sarah sasha satoshi scott sean sebastian
sebastián sergei sergey sergio shannon sharon sheila shirley shreya silvia simon simone siobhan sipho
sneha sofia sofía sophia sophie stefan stefano stella stephanie stephen steven sunil sunita susan
susanne suzanne svetlana sven sylvia sylvie takashi tamara tanya tariq tatiana teresa terrence thabo
theo theodore theresa thierry thomas tiago timothy tobias toby tomasz tommy tunde uche ulrich ursula
uwe valentina valeria vanessa vera veronica victoria vikram vincent vivek vladimir walter wanjiru
wei wendy werner william willem wojciech wolfgang xavier xiao ximena yasmin yasmine yelena yosef
yuki yuko yulia yuna yusuf yvonne zainab zara zeynep zoe zoë zofia olivier pieter bobby mai sam
samuel daan sanne joost bram femke thijs mette søren soren lotte oskar jens kristian ragnar
jane jim jimmy joe tim tony steve mike dave liz beth meg becky matt greg jeff ted fred ron phil
pete rick danny jake zach josh nate ben kathy cathy sally molly tina kristina debbie tracy stacy
lucas jose luis carlos sean shaun
will may june april august grace hope faith joy rose mark bill pat art jack frank sue dawn eve summer
autumn sky river lane chase max miles reed wade cliff glen dean drew ray guy don gene rich sandy
holly ivy iris jade pearl amber ruby lily poppy crystal violet hazel olive jasmine daisy willow sage
robin penny carol jean jan mercedes dolores angel christian victor jordan austin madison sydney paris
florence chelsea georgia virginia hunter carter cooper parker taylor clara rosa blanca pilar alma luz
paz sol bob rob nick tom harry ken ella leo mia ama
orrin hannelore rutger leopold cornelius eamon penelope declan kwabena xiomara åsa özlem ngozi ezekiel
marguerite rhys cressida desmond quentin sunniva thaddeus aoife orla gisela maarten jarrah ingeborg
benoît anton bernadette bertrand brendan caitlin casper cedric chiara christoph cormac craig dario
deirdre edmund eileen elaine elias elise eliza elliot erika ernest floris francis garrett geoffrey
gerard gertrude gideon gilbert gunnar gustav gwen hamish harald harriet hector heinrich herbert hilda
horace howard hugh humphrey irene isidore jasper joachim jocelyn juliet konrad kristin lawrence
leonard lionel ludwig magnus malcolm marcel margot marian marianne marion matilda maurice monica
moritz nathaniel neil nigel octavia olaf osvaldo otto peter phoebe quinn ralph reginald reinhard
renate rhiannon roderick roger rosemary rudolf rupert russell serena sigrid stefanie thea torsten
trevor tristan valerie wilhelm winifred yolanda zachary aarav anand femi folasade ifeoma jin nkechi
fatuma njeri otieno yaw sota yui hina ren minh linh thanh huong arash dariush farzana nasrin cem
deniz oğuz selin niamh saoirse ciara cillian oisin padraig seamus eoin ronan tadhg grainne sinead
roisin
aanya aarti abbas abby abdallah abdelaziz abdelkader abdulaziz abdulrahman abdur abebe abel abhay
abhijit abhishek abimbola abiodun abril abubakar achille achilleas achim addison adekunle adel
adela adelaide adele adelheid adeola adewale adhiambo adina adnan adolfo adriaan adriano adrien
adrienne advait adwoa adèle adéla afonso afua agatha agathe agnese agneta agnès agus agustina
agustín ahmet aidan aikaterini aiko aileen ailsa aimé ainhoa aino aishwarya aisling aitana aitor
aiyana ajay akari akash akiko akinyi akram aksel akshay akua alaa alana alastair alba alberta
albina albrecht aldo alec aleksander aleksandr aleksey aleksi alemayehu alena alessio alexandre
alexandros alfredo alicja aline alisa aliyu alla allan allen almaz alois alok alonso alper alvin
alyona amaia amaka amal amandeep amandine amani amanuel amar ambre ambrose amin aminu amna amos
amparo amrit amália anabel anahita ananya anas anastasios anatoly anaïs anderson andi andile
andreia andrey andriy andréia aneta angeliki angelina angelos angharad angie angus aniela anke
ankit ankita annabel annalisa annegret anneke anneli annelies anneliese annemarie anni anouk antje
antoinette antonella antoni antonios antonín antti antónio antônio anuradha anushka anwar anyango
aparecida aparna aponi apostolos arabella araceli archana archibald archie arda arend ariadna
ariana arianna arie arief ariel arif arina arjan arjen arlene arlo arman armand armando armin arnau
arnaud arne arno arnold aroha arshad artem artemis arto artur arun aruna arvind aryan asad asaf
asha ashish ashleigh ashok ashraf ashton asif aslı asma assunta aster asuka asunción asya
athanasios athina atieno atif atsushi aubrey audrey augustin augusto auma aurélien avery avigail
aviva avni avraham axelle ayaan ayaka ayala ayanda ayasha ayelet ayla aylin ayman ayodeji ayodele
ayomide ayoub ayumi ayush ayşegül azadeh azar azhar aziz azra babak babar babatunde bahar bahram
bailey balaji bambang baptiste baraka baran barbora barry bart bartholomew bartosz bartłomiej barış
bashir basil basile basma bastiaan bastien batuhan bautista bayu başak beata beate beatrix beau
begoña behnam behrouz bekele bella bello benedetta benedikt benito benjamín bennett benny benoit
bento benício berat beren berend berk bernhard bernice bert bertha berthold bertie beryl bethan
betsy bettina beverley bharat bilal billie binh binta binyamin birgitta bjarne björk blake blanche
boaz bohdan boitumelo bongani bonnie boudewijn bożena bradley brady brahim brent brett brigid
brigitte britt britta bronwen bronwyn brooke brooklyn bruna bryce brynn budi bukola burcu burkhard
buse bushra byron bärbel bülent büşra caetano caio caitlyn calvin camilla camilo canan candace
candela candice cansu caoimhe cara carina carl carlo carlota carly carmelo carmine carole carrie
carsten carys casey cassidy cassie caterina catriona cauã cecil cecília cees celeste celia cengiz
cenk ceren cerys cesare chad chaewon chaim chana chandler chandra chantal chantelle charalambos
charity charlene chebet chenoa chester chetan cheyenne chidinma chihiro chika chimamanda chinonso
chinwe chinyere christa christel christelle christiane christophe christos christy chrysoula
chukwudi chukwuma cian ciarán cinzia ciro citra clarence clarissa clark claude claudio clayton
clement clifford clint clinton clodagh clyde cláudia clémence clément clémentine cody coen cole
colette colleen colm conceição concepción constança consuelo cora coral coralie corazon corentin
corinne cornelia cornelis corrado costanza courtney cristian cristiano cristóbal cuong curtis cyril
cédric céleste célia césar dafna dafydd dagmar daichi daiki dakota dale dalia dallas damien
damilola damla damon danai daniil danilo danjuma dante danuta daphne dara daria darius darlene
darnell darragh darren daryl dasha davi dawid dawit deandre deepa defne delia delphine demetrius
denis deon dermot derya deshawn desiree despina desta destiny detlef devendra devi devorah dewi
dhruv dian dick didier dietmar dietrich dilara dilek dilip dimas dimitra dimitrios dimitris dina
dinesh dinis diogo dirk divya diya dmytro dohyun domenico domingo dominika dominique donal
donatella donato dora doreen dorota dorothea dorothee doyun doğan dries driss duarte dulce dumisani
durga dušan dwayne dwight dyani débora earl ebba eberhard ebony ebru eddie edgar edna edoardo edson
eduard eduarda edyta eero eeva egon egor ehsan ehud eilidh eimear einar eirik eirini eitan eivind
elad eleftherios eleni eleonora elfriede elham eliana eliane elina eline elio elisabetta elisângela
eliyahu elizaveta eliška elke elliott ellis elmar elmer eloise elsa elsie elton elvira elvis
elżbieta ema emad eman emanuel emanuela emanuele emiliano emilio emine emir emmanouil emmanuel
emmanuelle emmett emmi endang enes enrico enzo eoghan ephrem erdem eren erich erkan erling ernie
ernst erwin esi esme esmee espen esperanza esra esteban estefanía estelle ester estrella ethel
ettore euan eugenia eugenio eugène eugénie eunice eunji eunseo evan evangelia evangeline evangelos
everett evert evgeny ewan ewelina eyal eylül ezequiel ezgi ezra fabiana fabien fabienne fabiola
fabián fabrice fabrizio fabrício facundo fahad faisal fajar fanny fares farhad farhan farid farida
faris faruk farzad fatemeh fatih fatiha fausto faye felicity fenna ferdinand fergal fergus ffion
fidel fikri filipa filippo finja fionn fiorella fitri flavio fleur flora florencia florent floyd
flávia flávio folake fotini fotis fouad franca frances francine francisca franciszek franck franco
franklin frans františek franz franziska frauke frederik fredrik frida frieda friederike friedhelm
friedrich frits fritz frédéric funke funmilayo furkan fyodor fátima gabin gabriella gael gaetano
galina gamze ganesh garba gaspard gaurav gaël gaëlle gbenga geert geeta geir geneviève gennady
gennaro georges georgina georgios geraint geraldine gerardo gerd gerda gerlinde germaine germán
gernot gerrit gert gertrud ghada ghazal giacomo giancarlo gianfranco giang gianluigi gianmarco
gianni giannis gijs gilad giles gilles gillian ginevra ginger gino gioia giordano giorgia giorgio
giorgos giovanna girish girma gisèle gita giuliana giuliano giulio gizem gladys gleb glenda glória
gonçalo gopal gottfried govind graciela grant grayson grazia graça grażyna gregorio grigorios
grigory grzegorz gráinne grégoire guadalupe gudrun guido guilherme guillaume guillermo guiying
gunilla gurpreet guus guðrún gwendolyn gwyneth géraldine gérard gökhan göran günter günther haakon
habib hadas hadassah hadi haeun hafsa haider haile hailey hailu hajun hakan hakim hala halil halima
halina hamad hamed hamid hampus hanan hande haneul hanh hani hanne hanneke hannes hannu haoran
haris harish harper harpreet harrison hartmut haruki harun haruna hasan hasina hatice hauwa haya
hayato hayden hayoon heba hedda hedvig hedwig heide heikki heiko hein heitor helge helmi helmut
heloísa hema hemant hemi hendra hendrik henk henning henok henri henrietta henrique henryk herman
hermann hernán herta hertha hervé hiba hicham hidayat hideki hien hieu hikari hikaru hila hilal
hilary hilde hildegard hillary hillel himari hinata hind hiromi hiroto hiroyuki hisham hitomi hoang
holger hollie horacio horst hossein hubert huda hudson hugues humberto hussain huw hyejin hyunwoo
håkon håvard héctor hélène hülya hüseyin iain ichiro idan idowu idris ifeanyi ignacy ihor iida
ijeoma ikechukwu iker ilan ilaria ilias ilona ilse ilyas imad iman imani imelda imogen inbal indah
indira indra ineke inga inge ingemar inger ingo ingvar inna intan inès inés ioanna ioannis ipek
iqra irem irena irfan irma irmgard irwan iryna irène isaiah isha ishaan ishan ishita isis ismail
ismini issa itai italo itay itsuki ivana ivar ivo iván iwan iwona izabela iñaki iñigo jaana jaap
jabulani jackie jackson jaco jacobus jacques jada jadwiga jagdish jagoda jahangir jaime jamal
jamila jani janina janne janneke jannik janusz jaqueline jared jari jaroslav jarosław jaspreet
javad javed jawad jay jaya jayla jaylen jeanette jeanne jelle jenna jeremiah jermaine jeroen jerry
jerzy jesper jessie jesús jiahao jianguo jianhua jiaqi jiayi jieun jiho jihoon jill jimena jimin
jingjing jiro jisoo jitka jiwon jiwoo jiyeon jiyoung jiří joan joana joaquim jochen jodie joep
johannes joko jolanda jolanta jonah jonatan jordi joris josefina josep josie josée jozef joël
joëlle juana juanita jude juha juho jukka jule julieta juliette julio julián juma junaid junho
junjie junko junseo juraj jussi justine justyna jutta jyoti ján jérémy jérôme jéssica jón józef
jörg jørgen júlia júlio kaan kabir kabiru kacper kadir kaede kagiso kailani kaisa kaitlyn kaito
kajal kalani kalle kalliopi kamal kamil kamila kamran kana kaori kaoru karabo kareem karel kari
karima karlheinz karol karolina karolína karsten karthik kartik kartika kashif kasper katarína
katerina kateřina kathrin katja katlego katya kauã kaveh kavita kay kaya kayleigh kayode kazimierz
kazuki kazuya kağan keanu kebede kees kehinde keiko keisuke kelechi kelsey kelvin kemal kemi
kendall kendra kennedy kenny kent kenta keoni kerem keren kerry kerstin khadija khaled khalil khanh
khoa khurram khushi kian kidist kilian kimberley kimmo kinga kiona kirill kirk kirra kirsty kishore
kjell kjersti klaas klara klaudia klára knut koen koji komal konstantin konstantina konstantinos
kostas kourosh kristine kristoffer kristýna kriti krystyna ksenia kuldeep kunal kunle kurniawan
kurt kwadwo kwaku kwasi kweku kwesi kylian kylie kyoko kyriaki kyriakos kübra lachlan ladislav
laetitia laia laila lakisha lakshman lale lalit lamar lamia lance landon lara larisa larissa larry
lasse lata latifa latoya laure laurence lauri lautaro lavanya lawal leandro leanne lebo leena
lefteris leigh leilani leni lenka lennard lennart lenny leona leonel leonid leonidas leonor leonora
lerato leroy lesedi lesley leslie lestari lester leszek leticia letizia letícia levent levi levin
lewis leyla liat lidia lieke liesel lieselotte lieve lieven liisa lila lilah lilian liliana lillian
lilou lincoln lindiwe lindsay lindsey lino lior lisbeth lise livia lloyd loes logan lois lola
loredana lorena loretta lorna lorraine lothar lotta lottie louane louisa lourdes lourenço lovisa
lowri loïc luana lubna luc luciano lucie lucien lucille lucinda lucrezia ludmila ludovic ludovica
luigi luise luiz lukáš luna luther lutz luuk luísa luíza lwazi lyla lynn lyudmila léon léonie lívia
maaike maartje maayan mabel macarena maciej mackenzie madalena maddalena madeleine madeline madhu
madhuri mae maeve maggie maha mahesh mahmoud mahmut mahnoor mahsa maik mairead maisie maite maitê
majid makayla makena maki makoto maksim malak malia malika malin malka malte malthe mamta mana
manaia manal manar mandla mandy manfred manish manisha manoj manolis manpreet mansour manuela marc
marcela marcelino marcella marcello marcelo marcia marcin marcos mareike marek margarete margit
marianna mariano maricel marieke mariela marijke mariko marine marino marios marisa marit marius
mariusz marja marjolein markku markéta marlene marlies marloes marlon marshall martim martine martí
marvin marwa marwan marzena masaki masha masoud massimo matan matej mateusz matheus mathew mathias
mathilda mathilde mathis mathéo matilde mats matti mattia mattis matvey matías matěj maud maude
maureen mauricio maurizio mauro maurício maxim maxime maximiliano maxine maxwell mayu mayumi mazen
maël maëlle maëlys małgorzata mbali meena meenakshi meera mees megha megumi mehdi mehran meike
meiling meir melek melike melina melinda melis melvin menachem mercy meredith merel meriem meron
mert merve meryem metin micah michail michal michalis michał michela michele michiko midori mieke
mika mikel miki mikkel mikko mikołaj mila milad milagros milana mildred milena millicent millie
milo miloš milton mina minato minho minji minjun minjung minna minseo minsoo miranda mireia
mireille miri mirjam mirko miroslav miroslava mirosław mirza misaki misha mitchell mitra miyuki
mohamad mohan mohsen mona montserrat moran mordechai morena morgan morgane morné morten morteza
moshe mostafa mounir mourad mpho mukesh mulugeta muna muriel murilo murray musa mustapha muthoni
mykhailo mykola myra myriam myrtle myrto máire márcia mária mélanie mélissa naama nabil nada nadav
nadeem nader nadezhda nadim nadine nadja nadège naeem naima najib najwa naledi nana nanami nandi
nandini naoki naoko narendra naresh narges nasim nasreen nasser nassim natalya natan natnael
natsuki natália natálie naveed naveen navid nawal nayeli nazanin nazia nazlı neda neelam neema
nefeli negar nele nella nellie nerea neslihan nestor netta nevaeh neville ngoc nhung niall niccolò
nicoletta nicolás nicolò nidhi niek niels nienke nikhil niki nikita nikola nikolaos nikolay nikos
niloufar nils nilüfer nima nisa nisha nishant nitin nizar njoki nkosinathi nnamdi nneka noa noam
noel noemi noemí noga nokuthula nolan nomsa nomvula nonso noora noriko norma norman noura noémie
noël nuala nuno nurul nusrat nyambura nyoman núria ochieng octavio océane odhiambo odile odysseas
ofer oisín okechukwu olamide olav oleg oleh oleksandr olena olesya oliwia oliwier olufemi olumide
oluwafemi oluwatobi oluwatosin omer omid omondi ondřej onni onur onyango onyeka opeyemi ophelia
ophélie oren orlando osama osman oswald otis ottilie otávio oussama owain ozan oğuzhan paavo padma
paige palesa pallavi paloma panagiota panagiotis pankaj panos paola paraskevi pari parisa parsa
parveen pascal pascale pasha pasquale patience patrice patricio patrizia patryk patrícia paulina
pavlo pavlos payal payam payton pedram peggy pekka pelin percy perla pernilla pernille petr petri
petros peyton phong phuc phuong phyllis pia pierluigi piero piet pietro pim piper piyush polina
polly poonam prachi pramod pranav prasad prashant pratik praveen preeti preston priscila priscilla
przemysław pushpa putri pádraig päivi pınar quang quynh rabia rachael rachid rachida radek radha
radhika radosław rafaela rafał raffaele raffaella rahel rahim rahmat rainer raisa rajan rajat
rajeev rajendra rajiv rakesh rakhi ralf ramazan rami ramin ramiro ramona rana randa randall rangi
rania ranjit raphaël rasha rashmi rasmus ratna rawan raymond reagan rebekah recep redouane reem
reena regina rehan reiko reinaldo reiner reinhold rekha remi renato renée reto reuben reuven
reyansh reyes reynaldo reza rhea rhian riccardo ricky rida rika rikke riku riley rima rina risto
ritika ritu rivka riya riyad rizky rizwan rocco rochelle rocío rodney roel rogelio rogério rohit
rolando romain romane romano romeo rommel romy ronaldo ronit ronja ronnie ronny roos rory rosalie
rosalía rosana rosario rosemarie rosie ross rossella roswitha rosângela rowan roxanne roy roya
rubén rudi rudra rudy rui rune ruslan ruud ryota ryszard rémi rémy róisín rüdiger saad saanvi saba
sabina sacha sade sadia sadie sadiq saeed saga sagar sahar saif saima sajid sajjad saki sakshi
salah saleh salih salim salman salomé salvador salvatore saman samar samer sami samia samira
samuele sana sandeep sander sandile sandro sangeeta sani sanjeev sanna santino santosh sapna saqib
sari sarita saskia satish satu satya saurabh savannah savita sayaka scarlett sebastião seda seema
segun selam selim selina seojun seoyeon seoyun sepideh seppo serge serhiy serkan seth setiawan seun
sevda seán shabana shabnam shadi shady shahd shaheen shahid shahin shahram shahzad shai shakib
shalini shane shani shanice shankar shanti sharad sharif sharmila sharmin shashank shay shayan
shazia shehu shelby sheldon shelley sherif shikha shilpa shimon shinji shira shirin shiva shivani
shlomo shoaib shoshana shota shruti shubham shweta shyam sian sibel sibusiso siddharth sidney sidra
siegfried sieglinde sienna signe sigurd silas silke silvana silvio simona simran sina sinan sindhu
sindre sinem sini sinta sinéad siri sita siti sivan siwoo siyabonga sizwe siân sjoerd skylar smita
sofiane sofie sohail sokratis solange soledad solomon solveig solène sonal sonam sonia sonja sora
soraya sorcha soroush sotirios soufiane soumya soyeon spencer spyridon spyros srinivas stacey stan
stanislav stanisław stanley stavros stavroula stefania steffen stelios stepan stewart stijn stina
stuart stylianos stéphane stéphanie subhash subin sude sudha sudhir sujata suleiman sultan sultana
suman sumit sundar sungmin suraj suresh surya susana susanna susannah sushma suvi svein svenja
sverre sveta swati sybil sylvain sylwia szymon séamus sébastien sérgio sónia sônia sören süleyman
tabitha tadesse tadeusz taiwo takahiro takeshi takis takoda takumi talha tali tallulah tamar tamika
tamsin tania tanisha tanja tanveer tanvi tanvir tapas tapio tara taras tarek taro tarun tarık
tatyana taufik tawfik tayfun teagan tebogo teemu tehila temitope terence tereza terje terrell terry
tesfaye tess tessa tetiana teun tewodros thanasis thandeka thandiwe thando thao thaís thelma themba
theodora theodoros thiago thibault thibaut thor thorsten thulani thuy théo thérèse tiffany tigist
tiina tijs till tilo timo timothée timur tineke tingting tiziana tiziano tochukwu todd tolga
tolulope tomer tommaso tomoko tomás tomáš toni tope torbjörn tova tove toyin trang travis trent
trinidad trinity trisha trond troy truman trung tshepo tsion tsubasa tuba tumi tuomas tuva tuğba
tyler tyrone uchenna udo ugo ugochukwu ulises ulla ulrika ulrike umair umar umberto umesh umut unai
urszula usha usman ute uyen uzma uğur vadim vahid vaishnavi valdemar valentin valentino valentín
valerio valery valéria valérie vangelis varun varvara vasileios vasiliki vasilios vasily vassilis
veerle venkatesh venla verena vernon vibeke vicente vicky victoire vidya vignesh vihaan vijay vikas
viktor ville vinay vince vincenzo vinh vinod vinícius viola vira virginie vishal vitaly vito vitor
vittoria vittorio vitória vivaan vivian viviana vivienne vladimír vladislav vojtěch volkan volker
volodymyr vusi václav véronique vítor věra wael wafa wagner wahyu waldemar wale waleed walid
wallace waltraud wambui wanda wangari wanjiku waqas warren wasim wayan wayne weiwei weronika wesley
wessel whitney wiebke wiktor wiktoria wilfred wilfried wilhelmina wilma wilson wim winfried winnie
winona winston wiremu witold wolfram wout wouter wulan wyatt władysław xavi xiaohong xiaoli
xiaoling xiaolong xiaomei xiaoming xiaoping xinyi xiuying xochitl xolani xuan yaakov yacine yael
yahya yair yakubu yamato yann yannick yannis yara yarden yared yaroslav yasaman yasemin yash yasin
yasir yasser yassin yağmur yegor yehuda yehudit yejun yerin yesenia yetunde yevgeny yifan yiming
yinka yitzhak yiğit yoav yogesh yohannes yoko yonas yonatan yossi younes younghee yousef youssef
yuji yuka yuliya yumi yuri yusra yusuke yutaka yuto yuval yuxuan yves yvette yıldız yılmaz zafer
zahid zahra zaid zakaria zanele zawadi zbigniew zdeněk zeeshan zeev zehra zeina zeinab zhanna
zhiming zhiwei ziad zihan ziv zixuan ziyi zoey zohar zoya zoé zubair zuzana zuzanna zvi álvaro
ángel ángela ángeles çağla éabha édouard élisabeth élise éloïse éléonore émile éric érica étienne
ömer øystein úna łukasz şahin şebnem şule šimon štefan štěpán
";

/// Given names that are also common capitalised words (months, virtues,
/// places, verbs): they count as names only with a surname after them or
/// a cue before them.
const AMBIGUOUS: &str = "
will may june april august grace hope faith joy rose mark bill pat art jack frank sue dawn eve summer
autumn sky river lane chase max miles reed wade cliff glen dean drew ray guy don gene rich sandy
holly ivy iris jade pearl amber ruby lily poppy crystal violet hazel olive jasmine daisy willow sage
robin penny carol jean jan mercedes dolores angel christian victor jordan austin madison sydney paris
florence chelsea georgia virginia victoria charlotte hunter carter cooper parker taylor mason clara
rosa blanca pilar alma luz paz sol santiago kim lee milan maya aurora mai
abril adel adelaide alba alberta aline alla allen ariel aster asunción asya basil beau beryl bonnie
brooklyn cara carmine chad chandler charity chester cheyenne clement colleen concepción coral
dakota dale dallas desta destiny dick dirk domingo dries earl ebony elke emir ernst ester eylül
fanny fares felicity flora franco frans fátima gael ginger grant guadalupe heide hein hertha hind
hudson inga isis jay jesús jude julio junho kent kerry lance lasse lincoln lorraine lourdes luna
malte marine marshall mats maxim mercy minho miranda montserrat myrtle nada nele nella noel norma
norman orlando pascal pasha patience piper preston regina rhea rosario rune saga saki salvador
sander sari savannah serge shady shiva siri sivan solomon spencer sultan sultana tapas taro terry
thor tiffany till trinidad trinity troy tuba viola wale warren wolfram yıldız
brent murray aviva rosemary
";

/// Given names that are ordinary lowercase words in some language; they
/// are never matched in lowercase.
const LOWER_WORDS: &str = "
bob rob nick tom harry ken ella leo mia ama claire marie pierre victor sue pat don art bill will
may mark jack frank grace hope faith joy rose dawn eve max miles guy ray gene rich angel christian
dean drew chase lane reed wade cliff glen sandy holly ivy iris jade pearl amber ruby lily poppy
crystal violet hazel olive jasmine daisy willow sage robin penny carol jean jan sol paz luz alma rosa
blanca clara pilar kai hana nia nora lina gina vera nina lea kate dana sasha ian sara anna ann eva
emil mai mei ming hui wei lei yuki jing chen kim sky river summer autumn june april august
aurora bianca gloria sakura maya milan stella josh sally molly mike peter roger rosemary marian
hector ralph
abril adel aimé aino aisling aksel alana alba albina aline alisa alla allen alok amal amandine amar
ambre amin amos amparo anni aparecida arda arend arie arjen armando arto aslı asma assunta aster
asunción augusto aviva ayla azar aziz babak babar bahar bailey baptiste baraka baran barış basil
bautista bayu başak beata beate beau bella bello benedetta bento berat beren berk beryl björk
blanche bonnie brent bruna budi burcu buse caio camilla canan candela cara carina carmine celeste
cenk ceren chad chandler charity chester citra clement clémence clément clémentine cole colleen
conceição concepción consuelo coral corazon costanza cristiano céleste dale dalia damla daphne dara
daria davi defne derya desta destiny devi dewi dian dick dilek dina dirk domingo donato dora doğan
dries dulce earl ebony ebru eline elio elke elsa emir erdem eren ernst esi espen esperanza ester
estrella evert ewan eylül ezgi facundo fajar fanny fares fatih fausto felicity fidel fikri finja
fleur flora franca franco frans fritz funke gamze garba gert ghazal ginger gioia gita gizem glória
grant grazia graça hadas hadi hakim hala hande hani harper haya heide hein helmi hilal hind horst
huda hülya ilan iman indah inga inge inna intan ipek irem ismini italo iwan jagoda jari jay jaya
jerry joko julio junho kajal kalle kana kay kaya kelvin kemal kemi kent keren kirk klara knut koen
kurt lale lamia lance lasse lata lebo leona lestari leszek letizia levi liat lieve lila lino lise
lois lola lotta lourdes luna macarena madeleine maha maki malin malte mana manar marc marcia marcos
marine marino marit marjolein massimo matan mats matti maxim maxime mees meir melek mercy merel
meron mert metin mila milagros milo mina mirza mitra mona moran morena muna musa myra myrtle nada
nana nasser nazlı negar nele nella nestor netta nilüfer nima noel noga norma noël oleh onni onur
oren ozan paloma panos pari pascal pasha patience pelin perla pia piet piper pratik putri pınar
rabia rahim rahmat rajan rajat rakhi ramazan rana rawan regina reiner reto reyes reza rhea rida
rika rima rocío rolando romain romane romano romeo roos rosario rowan rui rune sabina sade saga
saki salah salvador salvatore saman samar sami sana sander sani sanna sari satu savannah seda segun
selam serge sevda shady shanti shay shiva sidra sienna signe silke sina sini sinta siti solange
soledad sonia sora spencer stan sultan sultana suman surya suvi sveta talha tali tapas tara taras
taro tayfun terry till timo timur toni tope trinidad trinity troy tuba tuva udo umut ute uğur
victoire vihaan ville vince viola vira vittoria vitória volkan wahyu wale warren wolfram wulan yara
yasemin yağmur yerin yiğit yıldız yılmaz zafer ángel ángeles çağla şahin şebnem şule
";

/// Titles before a surname: `Mr. Okafor`, `Dr Chen`.
const TITLES: &str = "
mr mrs ms miss mx dr prof professor sir dame lord lady herr frau mme mlle madame monsieur sr sra srta
señor señora senor senora dott dottoressa sig signor signora rev reverend fr father sister brother
capt captain sgt sergeant lt lieutenant col colonel officer detective det judge senator nurse
ssa ing mag attorney lawyer counsel advocate notary doctor coach pastor rabbi imam bishop inspector
constable mayor governor minister m dhr mevr mevrouw heer
";

/// Openers: the name follows on the same line (`Dear Okafor,`, `Hi Tom`).
const OPENERS: &str = "dear hi hello hey hiya greetings attn attention bonjour cher chère chers hola estimado estimada querido querida gentile caro cara ciao hallo liebe lieber geehrte geehrter hej hoi beste olá prezado prezada";

/// Sign-offs: the name may follow on the next line (`Best regards,\nAlice`).
const SIGNOFFS: &str = "thanks thank thx cheers regards sincerely best love yours cordially respectfully warmly wishes cordialement amitiés bises saludos atentamente saluti cordiali grüße grüßen grüsse gruß gruss groeten abraços";

/// Header words that take a name after a colon: `From: Alice`.
const HEADER_CUES: &str = "from to cc bcc attn contact name customer client patient employee user assignee assigned owner reporter requester caller candidate tenant guest recipient sender author signed agent rep representative applicant member buyer seller driver passenger witness attendees attendee participants participant panel panelists moderator speaker speakers host organizer organiser cardholder holder beneficiary insured policyholder claimant interviewer interviewee present approver reviewer";

/// Verbs after which `by` or `to` takes a name (`Reported by`, `Assigned
/// to`): a header cue without the colon.
const BY_VERBS: &str = "reported approved prepared submitted signed created requested reviewed written sent escalated handled authored assigned delegated forwarded reassigned referred raised opened closed filed logged entered updated edited modified";

/// Capitalised words that are not names; they stop name extension and are
/// never captured after a cue.
const STOPWORDS: &str = "
the a an and or but if in on at to for from of with by as is are was were be been being i we you he she
it they me my our your his her their its this that these those there here what when where who whom
why how which hi hello dear thanks thank please yes no not ok okay team all everyone everybody folks
guys friends colleagues sir madam customer valued hiring manager world support sales admin
administrator both again so also just then than too very can could would should shall might
must do does did has have had get got let new old next last first final re fwd fw subject note notes
meeting agenda update summary action item items today tomorrow yesterday tonight morning afternoon
evening monday tuesday wednesday thursday friday saturday sunday january february march
july september october november december mon tue wed thu fri sat sun jan feb mar apr jun jul
aug sep sept oct nov dec street st avenue ave road rd boulevard blvd lane drive dr court place way
inc llc ltd gmbh corp co plc company group holdings university college school hospital bank city
county state north south east west central general department office ceo cto cfo vp hr it api pm am
mr mrs ms prof regards best cheers sincerely love yours hey via per re ticket issue order invoice
account project client user users admin service services system team's everyone's
ask tell call ping meet see message invite remind send give told asked called met saw emailed
thanked spoke talked wrote contacted i'm i’m i'll i’ll i've i’ve i'd i’d sure oops yes yeah
welcome sorry great good fine right well
station airport museum theatre theater opera cathedral tech institute foundation academy
texas california florida ohio arizona oregon nevada utah colorado illinois michigan minnesota
wisconsin iowa kansas missouri kentucky tennessee alabama louisiana oklahoma arkansas
massachusetts connecticut maryland pennsylvania canada mexico germany spain italy scotland
japan australia brazil
";

/// Surname particles that may sit between capitalised name parts.
const PARTICLES: &str =
    "van von der den de del della da di du la le dos das bin binti al el ben ter ten y e zu";

/// Single words after which a capitalised word is a name.
const PHRASE_CUES: &str = "named m'appelle m’appelle llamo heiße heisse chiamo aka alias chamo";

/// Every list with its bit, and the cue words that are a list of one.
const LISTS: &[(&str, u32)] = &[
    (GIVEN_NAMES, list::GIVEN),
    (AMBIGUOUS, list::AMBIGUOUS),
    (LOWER_WORDS, list::LOWER_WORD),
    (TITLES, list::TITLE),
    (OPENERS, list::OPENER),
    (SIGNOFFS, list::SIGNOFF),
    (HEADER_CUES, list::HEADER),
    (STOPWORDS, list::STOPWORD),
    (PARTICLES, list::PARTICLE),
    (PHRASE_CUES, list::PHRASE),
    ("you", list::YOU),
    ("thank", list::THANK),
    ("as", list::AS),
    ("known", list::KNOWN),
    ("is", list::IS),
    ("name", list::NAME),
    ("me", list::ME),
    ("call", list::CALL),
    (BY_VERBS, list::BY_VERB),
    ("by to", list::BY),
];

/// Lowercase word → its [`list`] bits.
static LEXICON: LazyLock<HashMap<&'static str, u32, BuildHasherDefault<Fnv>>> =
    LazyLock::new(|| {
        let mut map = HashMap::default();
        for &(words, bit) in LISTS {
            for w in words.split_whitespace() {
                *map.entry(w).or_insert(0) |= bit;
            }
        }
        map
    });

/// The [`list`] bits of lowercase word `lower` (0 for most words).
pub(crate) fn lists_of(lower: &str) -> u32 {
    if !FILTER.may_contain(lower) {
        return 0;
    }
    LEXICON.get(lower).copied().unwrap_or(0)
}

/// A 64 Ki-bit filter over the lexicon keyed by length, first two and
/// last byte: most words of prose are turned away by one bit test, before
/// hashing. No false negatives (every word's bit is set). Built at compile
/// time, so a probe needs no lazy initialisation.
struct Filter([u64; 1 << 10]);

impl Filter {
    const fn slot(w: &[u8]) -> usize {
        let (Some(&a), Some(&z)) = (w.first(), w.last()) else {
            return 0;
        };
        let b = if w.len() > 1 { w[1] } else { 0 };
        let key = a as u32 | (b as u32) << 8 | (z as u32) << 16 | (w.len() as u32) << 24;
        (key.wrapping_mul(0x9E37_79B1) >> 16) as usize
    }
    const fn new(lists: &[(&str, u32)]) -> Self {
        let mut bits = [0u64; 1 << 10];
        let mut n = 0;
        while n < lists.len() {
            Self::add(&mut bits, lists[n].0);
            n += 1;
        }
        Filter(bits)
    }
    /// Sets the bits of the whitespace-separated words of `words`.
    const fn add(bits: &mut [u64; 1 << 10], words: &str) {
        let b = words.as_bytes();
        let mut i = 0;
        while i < b.len() {
            // one whitespace-separated word: b[i..j]
            if b[i].is_ascii_whitespace() {
                i += 1;
                continue;
            }
            let mut j = i;
            while j < b.len() && !b[j].is_ascii_whitespace() {
                j += 1;
            }
            let (_, rest) = b.split_at(i);
            let (word, _) = rest.split_at(j - i);
            let slot = Self::slot(word);
            bits[slot / 64] |= 1 << (slot % 64);
            i = j;
        }
    }
    fn may_contain(&self, w: &str) -> bool {
        let i = Self::slot(w.as_bytes());
        self.0[i / 64] & (1 << (i % 64)) != 0
    }
}

static FILTER: Filter = Filter::new(LISTS);
/// The filter over the gazetteer alone: the person heuristics ask about
/// every lowercase word of four letters or more, and most of them are
/// prose that the full filter would let through (`with`, `that`, `have`).
static GIVEN_FILTER: Filter = Filter::new(&[(GIVEN_NAMES, list::GIVEN)]);

/// Number of distinct given names in the gazetteer.
pub fn gazetteer_len() -> usize {
    LEXICON
        .values()
        .filter(|&&bits| bits & list::GIVEN != 0)
        .count()
}

/// Particles a surname of its own can start with (see [`particle_surname`]).
const SURNAME_STARTS: &[&str] = &[
    "van", "von", "der", "den", "de", "del", "della", "da", "di", "du", "dos", "das", "ter", "ten",
    "zu",
];

/// Whether a folded name starts with a particle of [`SURNAME_STARTS`]:
/// such a pattern (`de la cruz`) matches only with its last word
/// capitalised, as `la cima de la torre` is prose.
pub(crate) fn starts_with_particle(folded: &str) -> bool {
    folded
        .split_once(' ')
        .is_some_and(|(first, _)| SURNAME_STARTS.contains(&first))
}

/// The surname that starts at a name's particles (`de la cruz` in `josé
/// antonio de la cruz márquez`, `van der berg` in `mary ann van der
/// berg`): from the first particle after the first word through the word
/// after the particles. `name` is folded with single spaces; `None` when
/// it has no such particle or starts with one (it is all surname).
pub(crate) fn particle_surname(name: &str) -> Option<&str> {
    let first_end = name.find(' ')?;
    if lists_of(&name[..first_end]) & list::PARTICLE != 0 {
        return None;
    }
    let mut at = first_end + 1;
    let mut start = None;
    while at < name.len() {
        let end = name[at..].find(' ').map_or(name.len(), |i| at + i);
        let word = &name[at..end];
        let particle = lists_of(word) & list::PARTICLE != 0;
        match (start, particle) {
            // the surname starts at a particle that is no common word
            // elsewhere (not `y`, `e`, `ben`, `al`: `john ben smith`)
            (None, true) if SURNAME_STARTS.contains(&word) => start = Some(at),
            (None, true) => {}
            (Some(s), false) => return Some(&name[s..end]),
            _ => {}
        }
        at = end + 1;
    }
    None
}

/// `lower` is in the given-name gazetteer.
pub(crate) fn is_given_name(lower: &str) -> bool {
    GIVEN_FILTER.may_contain(lower) && lists_of(lower) & list::GIVEN != 0
}
/// May be matched in lowercase text.
pub(crate) fn lowercase_ok(lower: &str) -> bool {
    lists_of(lower) & (list::LOWER_WORD | list::AMBIGUOUS) == 0 && lower.chars().count() >= 4
}
/// A capitalised word that is not a name.
pub(crate) fn is_stopword(lower: &str) -> bool {
    lists_of(lower) & list::STOPWORD != 0
}

/// Legal-form suffixes removed to get an organisation's short name.
const ORG_SUFFIXES: &[&str] = &[
    "inc",
    "inc.",
    "llc",
    "ltd",
    "ltd.",
    "limited",
    "gmbh",
    "ag",
    "corp",
    "corp.",
    "corporation",
    "co.",
    "plc",
    "s.a.",
    "sa",
    "sas",
    "sarl",
    "b.v.",
    "bv",
    "n.v.",
    "nv",
    "pty",
    "llp",
    "lp",
    "kg",
    "oy",
    "ab",
    "s.p.a.",
    "spa",
    "srl",
    "holdings",
    "incorporated",
    "as",
    "asa",
    "a/s",
    "aps",
    "oyj",
    "se",
    "kgaa",
    "sl",
    "ltda",
];

/// An organisation's name without its legal form (`acme widgets` for
/// `acme widgets, inc.`), given its folded, whitespace-collapsed name; `None`
/// when it has no legal form or too little is left (under three chars,
/// counting a space a lone comma leaves).
pub(crate) fn org_short_name(folded: &str) -> Option<&str> {
    strip_legal_form(folded, false)
}

/// [`org_short_name`] of a session key, which has lost its trailing dots
/// (`acme b.v` for `Acme B.V.`): a legal form counts with or without its
/// final dot, and the short name's own trailing dots go too (`acme intl`
/// for `Acme Intl. Inc`, as for `Acme Intl.`).
pub(crate) fn org_short_key(key: &str) -> Option<&str> {
    strip_legal_form(key, true).map(|short| short.trim_end_matches('.'))
}

/// Generic words that end organisation names: `Tessellate Systems`,
/// `Pemberton & Sons`, `Kestrel Data Services` are called `Tessellate`,
/// `Pemberton`, `Kestrel` for short.
const ORG_NOUNS: &[&str] = &[
    "systems",
    "system",
    "robotics",
    "technologies",
    "technology",
    "tech",
    "solutions",
    "group",
    "labs",
    "lab",
    "laboratories",
    "partners",
    "consulting",
    "consultants",
    "capital",
    "software",
    "analytics",
    "logistics",
    "foods",
    "marine",
    "media",
    "pharma",
    "pharmaceuticals",
    "energy",
    "services",
    "industries",
    "international",
    "global",
    "enterprises",
    "ventures",
    "networks",
    "digital",
    "data",
    "security",
    "health",
    "healthcare",
    "medical",
    "insurance",
    "investments",
    "properties",
    "realty",
    "construction",
    "engineering",
    "manufacturing",
    "motors",
    "airlines",
    "trading",
    "brands",
    "studios",
    "games",
    "communications",
    "telecom",
    "associates",
    "sons",
    "brothers",
    "bros",
    "&",
    "and",
];

/// First words that are too common to stand for one organisation.
const COMMON_BRAND_WORDS: &[&str] = &[
    "united",
    "global",
    "international",
    "national",
    "american",
    "british",
    "european",
    "royal",
    "premier",
    "standard",
    "advanced",
    "digital",
    "modern",
    "smart",
    "green",
    "blue",
    "red",
    "black",
    "white",
    "golden",
    "silver",
    "pacific",
    "atlantic",
    "western",
    "eastern",
    "northern",
    "southern",
    "metro",
    "urban",
    "prime",
    "apex",
    "summit",
    "pioneer",
    "allied",
    "integrated",
    "applied",
    "creative",
    "strategic",
    "total",
    "universal",
    "continental",
    "federal",
    "local",
    "quality",
    "express",
    "direct",
    "online",
    "data",
    "health",
    "energy",
    "security",
];

/// The distinctive first word of an organisation's short name
/// ([`org_short_name`]) when the rest is generic (see [`ORG_NOUNS`]):
/// `tessellate` for `tessellate systems`. `None` when nothing generic
/// ends the name, or the word left is short, a known word of the lexicon
/// (a given name, a stopword, …) or too common (`united logistics`).
pub(crate) fn org_brand(short: &str) -> Option<&str> {
    let mut brand = short;
    while let Some((rest, last)) = brand.rsplit_once(' ') {
        if !ORG_NOUNS.contains(&last) {
            break;
        }
        brand = rest.trim_end();
    }
    let distinctive = brand.len() < short.len()
        && !brand.contains(' ')
        && brand.chars().count() >= 4
        && lists_of(brand) == 0
        && !COMMON_BRAND_WORDS.contains(&brand);
    distinctive.then_some(brand)
}

/// See [`org_short_name`]; with `dotless`, a legal form may lack its final
/// dot.
fn strip_legal_form(name: &str, dotless: bool) -> Option<&str> {
    let is_legal_form = |word: &str| {
        ORG_SUFFIXES.contains(&word)
            || (dotless
                && ORG_SUFFIXES
                    .iter()
                    .any(|form| form.strip_suffix('.') == Some(word)))
    };
    let mut short = name;
    // drop trailing legal-form words, each with the commas after it
    while let Some((rest, last)) = short.rsplit_once(' ') {
        if !is_legal_form(last.trim_end_matches(',')) {
            break;
        }
        short = rest;
    }
    if short.len() == name.len() {
        return None;
    }
    let short = short.trim_end_matches(',');
    // a lone comma before the legal form (`acme , inc`) leaves a space
    (short.chars().count() >= 3).then_some(short.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn org_short_names() {
        assert_eq!(org_short_name("acme widgets, inc."), Some("acme widgets"));
        assert_eq!(org_short_name("globex corp"), Some("globex"));
        assert_eq!(org_short_name("maersk a/s"), Some("maersk"));
        assert_eq!(org_short_name("zyxqo , inc"), Some("zyxqo"));
        assert_eq!(org_short_name("hooli holdings ltd"), Some("hooli"));
        assert_eq!(
            org_short_name("ab , inc"),
            Some("ab"),
            "three chars with the space"
        );
        for none in ["acme widgets", "acme,", "inc", "xy inc"] {
            assert_eq!(org_short_name(none), None, "{none}");
        }
        // session keys lose trailing dots
        assert_eq!(org_short_name("acme b.v"), None);
        assert_eq!(org_short_key("acme b.v"), Some("acme"));
        assert_eq!(org_short_key("acme s.p.a"), Some("acme"));
        assert_eq!(org_short_key("acme intl. inc"), Some("acme intl"));
        assert_eq!(org_short_key("acme widgets"), None);
    }

    #[test]
    fn surnames_start_at_listed_particles() {
        for p in SURNAME_STARTS {
            assert!(lists_of(p) & list::PARTICLE != 0, "{p} is not in PARTICLES");
        }
    }

    #[test]
    fn particle_surnames() {
        for (name, surname) in [
            ("josé antonio de la cruz márquez", Some("de la cruz")),
            ("mary ann van der berg", Some("van der berg")),
            ("ludwig von hohenberg", Some("von hohenberg")),
            ("de la cruz", None),
            ("alice smith", None),
            ("alice van", None),
            ("john ben smith", None),
            ("josé ortega y gasset", None),
        ] {
            assert_eq!(particle_surname(name), surname, "{name}");
        }
    }

    #[test]
    fn org_brands() {
        for (short, brand) in [
            ("tessellate systems", "tessellate"),
            ("pemberton & sons", "pemberton"),
            ("acme robotics", "acme"),
            ("kestrel data services", "kestrel"),
        ] {
            assert_eq!(org_brand(short), Some(brand), "{short}");
        }
        for none in [
            "tessellate",
            "acme widgets",
            "united logistics",
            "alice logistics",
            "general motors",
            "bank of nordvik",
            "abc systems",
            "blue river analytics",
        ] {
            assert_eq!(org_brand(none), None, "{none}");
        }
    }

    #[test]
    fn lists_are_consistent() {
        assert!(gazetteer_len() >= 500, "{}", gazetteer_len());
        for w in AMBIGUOUS.split_whitespace() {
            assert!(!lowercase_ok(w), "{w}");
        }
        for w in GIVEN_NAMES.split_whitespace() {
            assert_eq!(w, w.to_lowercase(), "{w}");
        }
        assert!(is_given_name("alice") && is_given_name("priya") && is_given_name("josé"));
        for name in [
            "dorothea",
            "olumide",
            "konstantinos",
            "wilhelmina",
            "mireille",
            "ayasha",
        ] {
            assert!(is_given_name(name), "{name}");
        }
        // names that are words: not matched in lowercase, and a name only
        // with a surname or a cue when capitalised
        for word in ["fares", "lance", "marine", "warren"] {
            assert!(!lowercase_ok(word), "{word}");
            assert!(lists_of(word) & list::AMBIGUOUS != 0, "{word}");
        }
        let ambiguous = |w| lists_of(w) & list::AMBIGUOUS != 0;
        assert!(ambiguous("may") && !ambiguous("alice"));
        assert!(is_stopword("the") && lists_of("named") & list::PHRASE != 0);
        assert_eq!(lists_of("dr"), list::TITLE | list::STOPWORD);
        // every word of every list is found, through the filter
        for &(words, bit) in LISTS {
            for w in words.split_whitespace() {
                assert!(lists_of(w) & bit != 0, "{w}");
            }
        }
        assert!(lowercase_ok("alice") && !lowercase_ok("bob") && !lowercase_ok("ian"));
    }
}
